"""Exceptions raised inside reportgen. Each keeps the facts as attributes;
:mod:`reportgen.messages` turns them into Vietnamese text at the edges."""

from __future__ import annotations

from pathlib import Path


class ReportgenError(Exception):
    """Base class. ``exit_code`` is 1 for problems in the user's data, 2 for usage."""

    exit_code = 1

    def __init__(self, detail: str = "", **facts):
        super().__init__(detail)
        self.detail = detail
        self.facts = facts
        for key, value in facts.items():
            setattr(self, key, value)


class UsageError(ReportgenError):
    """A command was called with values that cannot work (bad period, unknown plan)."""

    exit_code = 2


class WorkspaceNotFound(UsageError):
    """No ``config/`` folder where the workspace should be."""


class WorkspaceExists(UsageError):
    """``init`` into a folder that already holds a workspace."""


class ConfigError(ReportgenError):
    """A YAML file of the workspace cannot be read or has wrong content."""


class SourceError(ReportgenError):
    """A plan appendix (txt/docx/xlsx) cannot be read as a table of indicators."""


class UnknownPlan(UsageError):
    """``--plan ID`` names a plan the workspace does not have."""


class UnknownAgency(UsageError):
    """``--agency CODE`` names an agency that is not in agencies.yaml."""


class BadPeriod(UsageError):
    """A period that is not ``YYYY-MM``, ``YYYY-Qn``, ``YYYY-H1/H2`` or ``YYYY``."""


class FileRejected(ReportgenError):
    """A returned workbook cannot be accepted at all (wrong format, forged identity…).

    ``reason`` is a key of :data:`reportgen.messages.REJECTIONS`.
    """

    def __init__(self, reason: str, path: Path | str | None = None, **facts):
        super().__init__(reason, path=path, reason=reason, **facts)


class StoreError(ReportgenError):
    """The database cannot be opened or has an unexpected shape."""


class MailError(ReportgenError):
    """Mail cannot be sent (configuration, refused connection, refused recipients)."""

    def __init__(self, detail: str = "", temporary: bool = False, **facts):
        super().__init__(detail, temporary=temporary, **facts)


class SchedulerRunning(ReportgenError):
    """Another ``schedule run`` holds the lock."""


class ToolMissing(ReportgenError):
    """An external program (LibreOffice) is not installed."""


class ReportError(ReportgenError):
    """The report template cannot be rendered."""
