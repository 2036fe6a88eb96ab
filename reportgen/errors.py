"""Exceptions raised inside reportgen, and the exit statuses of the command line.

Every exception carries a reason code (a key of the matching table in
:mod:`reportgen.messages`) and typed facts as attributes (file, sheet, cell,
agency…); only :func:`reportgen.messages.describe` turns them into Vietnamese.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

__all__ = [
    "ExitStatus",
    "ReportgenError",
    "UsageError",
    "WorkspaceNotFound",
    "WorkspaceExists",
    "ConfigError",
    "SourceError",
    "UnknownPlan",
    "UnknownAgency",
    "BadPeriod",
    "FileRejected",
    "StoreError",
    "MailError",
    "SchedulerRunning",
    "ToolMissing",
    "ReportError",
    "ProblemsFound",
    "Interrupted",
    "FileLocked",
]


class ExitStatus(IntEnum):
    """What ``reportgen`` returns to the shell, Task Scheduler or cron."""

    OK = 0  # everything done, nothing to fix
    DATA = 1  # done, but problems were found in the user's data (a file, the catalog, a mail)
    USAGE = 2  # the command cannot run as called: options, workspace or configuration
    INTERRUPTED = 130  # stopped with Ctrl+C


class ReportgenError(Exception):
    """Base class: ``reason`` is a message key, ``facts`` the values its sentence needs."""

    exit_code = ExitStatus.DATA
    reason = "error"

    def __init__(self, reason: str | None = None, **facts):
        reason = reason or type(self).reason
        super().__init__(reason)
        self.reason = reason
        self.detail = reason  # kept for log lines
        self.facts = facts
        for key, value in facts.items():
            setattr(self, key, value)

    def __reduce__(self):  # raised in a worker process, it reaches the parent with its facts
        return (_rebuild, (type(self), self.reason, self.facts))


def _rebuild(cls, reason, facts):
    return cls(reason, **facts)


class UsageError(ReportgenError):
    """A command was called with values that cannot work (bad period, unknown plan)."""

    exit_code = ExitStatus.USAGE


class WorkspaceNotFound(UsageError):
    """No ``config/`` folder where the workspace should be."""

    reason = "workspace-not-found"


class WorkspaceExists(UsageError):
    """``init`` into a folder that already holds a workspace."""

    reason = "workspace-exists"


class ConfigError(ReportgenError):
    """A YAML file of the workspace cannot be read or has wrong content."""

    exit_code = ExitStatus.USAGE


class SourceError(ReportgenError):
    """A plan appendix (txt/docx/xlsx) cannot be read as a table of indicators."""


class UnknownPlan(UsageError):
    """``--plan ID`` names a plan the workspace does not have."""

    reason = "unknown-plan"


class UnknownAgency(UsageError):
    """``--agency CODE`` names an agency that is not in agencies.yaml."""

    reason = "unknown-agency"


class BadPeriod(UsageError):
    """A period that is not ``YYYY-MM``, ``YYYY-Qn``, ``YYYY-H1/H2`` or ``YYYY``."""

    reason = "bad-period"


class FileRejected(ReportgenError):
    """A returned workbook cannot be accepted at all (wrong format, forged identity…)."""

    def __init__(self, reason: str, path: Path | str | None = None, **facts):
        super().__init__(reason, path=path, **facts)


class StoreError(ReportgenError):
    """The database cannot be opened, written, or has an unexpected shape."""

    exit_code = ExitStatus.USAGE


class MailError(ReportgenError):
    """Mail cannot be sent (configuration, refused connection, refused recipients).

    ``temporary`` failures are worth retrying; the others are not.
    """

    def __init__(self, reason: str, temporary: bool = False, **facts):
        super().__init__(reason, temporary=temporary, **facts)
        self.temporary = temporary
        self.attempts: int = facts.get("attempts", 1)


class SchedulerRunning(ReportgenError):
    """Another ``schedule run`` holds the lock."""

    reason = "scheduler-running"


class ToolMissing(ReportgenError):
    """An external program (LibreOffice) is not installed."""

    reason = "tool-missing"


class ReportError(ReportgenError):
    """The report template cannot be rendered."""


class FileLocked(ReportgenError):
    """An output file is held open by another program (Word, Excel on Windows)."""

    reason = "file-locked"


class Interrupted(ReportgenError):
    """Stopped with Ctrl+C; ``facts`` say what was done before (exit 130)."""

    exit_code = ExitStatus.INTERRUPTED
    reason = "interrupted"


class ProblemsFound(ReportgenError):
    """The command ran to its end and found problems in the user's data (exit 1)."""
