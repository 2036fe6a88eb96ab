"""LibreOffice, run headless: the one place that finds it and converts files with it.

Used to turn reports into PDF, by the demo to save a form as an agency using
LibreOffice would, and by the tests and fixture tools for round trips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import ReportError

__all__ = ["find_soffice", "convert"]

# Where the installers put it when they do not add it to PATH (the Windows one never does).
_PROGRAM_FOLDERS = ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")
_USUAL_PLACES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    "/opt/libreoffice/program/soffice",
)


def find_soffice(configured: str = "") -> str | None:
    """The LibreOffice program: the configured path, then PATH, then the usual install folders."""
    if configured and Path(configured).is_file():
        return configured
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    folders = [os.environ[name] for name in _PROGRAM_FOLDERS if os.environ.get(name)]
    candidates = [str(Path(f) / "LibreOffice" / "program" / "soffice.exe") for f in folders] + list(_USUAL_PLACES)
    return next((c for c in candidates if Path(c).is_file()), None)


def convert(source: Path, folder: Path, fmt: str, *, timeout: int = 240, configured: str = "") -> Path | None:
    """Open ``source`` in headless LibreOffice and save it into ``folder`` as ``fmt``.

    ``fmt`` is a LibreOffice target such as ``pdf``, ``xlsx`` or ``xls:MS Excel 97``.
    Returns the new file, or None when LibreOffice is not installed. A private
    profile lets it run beside a LibreOffice the user has open.
    """
    binary = find_soffice(configured)
    if binary is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reportgen-lo-") as profile:
        command = [
            binary,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(folder),
            str(source),
        ]
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    target = folder / f"{source.stem}.{fmt.split(':')[0]}"
    if result.returncode != 0 or not target.exists():
        raise ReportError(
            "convert-failed",
            file=source.name,
            fmt=fmt.split(":")[0].upper(),
            output=result.stderr.decode("utf-8", "replace")[-300:],
        )
    return target
