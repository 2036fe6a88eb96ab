from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.workspace import init_workspace

TESTS = Path(__file__).parent
DATA = TESTS / "data"
SEEDS = DATA / "seeds"


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """No test reads the developer's HOME, workspace variable or SMTP password."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("REPORTGEN_WORKSPACE", "REPORTGEN_SMTP_PASSWORD", "REPORTGEN_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "UTC")  # the server clock must not matter


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def _pristine_workspace(tmp_path_factory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("pristine") / "ws").root


@pytest.fixture
def workspace_dir(tmp_path, _pristine_workspace) -> Path:
    """A fresh workspace made by `init`, copied per test."""
    target = tmp_path / "ws"
    shutil.copytree(_pristine_workspace, target)
    return target


@pytest.fixture
def workspace(workspace_dir):
    from reportgen.workspace import Workspace

    return Workspace(workspace_dir)


def soffice() -> str | None:
    from reportgen.office import find_soffice

    return find_soffice()


needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) không có trên máy này")
