"""Type into spreadsheet cells with LibreOffice itself, as a person at the keyboard does.

Run by tools/type_in_libreoffice.py with the system Python that has LibreOffice's UNO bridge
(Debian: python3-uno):

    /usr/bin/python3 tools/lo_typist.py JOB.json

JOB.json: {"locale": "vi-VN", "source": "form.xlsx", "targets": ["out.xlsx", "out.ods"],
"cells": [["BaoCao", "I12", "70%"], ...]}. LibreOffice starts with a fresh profile whose locale
setting is ``locale`` (it decides how "0,7" or "1.234" is read), opens the form, moves the cursor
to each cell and enters the text with ``.uno:EnterString``, the dispatch the input line uses, so
that LibreOffice's own input parsing applies (a "70%" typed into a number cell becomes 0.7); then
saves the workbook as each target (xlsx: Calc MS Excel 2007 XML, ods: calc8).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # noqa: F401 - the bridge; importing it makes the com.sun.star modules importable
from com.sun.star.beans import PropertyValue

FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".ods": "calc8", ".xls": "MS Excel 97"}


def prop(name: str, value) -> PropertyValue:
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def connect(port: int, profile: Path):
    process = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            f"--accept=socket,host=127.0.0.1,port={port};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(200):
        try:
            return process, resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.2)
    process.kill()
    sys.exit("LibreOffice did not start")


def set_locale(context, locale: str) -> None:
    provider = context.ServiceManager.createInstanceWithContext(
        "com.sun.star.configuration.ConfigurationProvider", context
    )
    access = provider.createInstanceWithArguments(
        "com.sun.star.configuration.ConfigurationUpdateAccess", (prop("nodepath", "/org.openoffice.Setup/L10N"),)
    )
    access.setPropertyValue("ooSetupSystemLocale", locale)
    access.commitChanges()


def main(job_file: str) -> None:
    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    profile = Path(tempfile.mkdtemp(prefix="lo-typist-"))
    process, context = connect(job.get("port", 2099), profile)
    try:
        set_locale(context, job["locale"])
        manager = context.ServiceManager
        desktop = manager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        document = desktop.loadComponentFromURL(
            Path(job["source"]).resolve().as_uri(), "_blank", 0, (prop("Hidden", True),)
        )
        dispatcher = manager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", context)
        frame = document.CurrentController.Frame
        for sheet, cell, text in job["cells"]:
            document.CurrentController.setActiveSheet(document.Sheets.getByName(sheet))
            dispatcher.executeDispatch(frame, ".uno:GoToCell", "", 0, (prop("ToPoint", cell),))
            dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", text),))
        for target in job["targets"]:
            path = Path(target).resolve()
            document.storeToURL(path.as_uri(), (prop("FilterName", FILTERS[path.suffix]),))
        try:
            document.close(True)
        except Exception:  # noqa: BLE001, S110 - LibreOffice may already be going away
            pass
    finally:
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001, S110 - already gone
            pass
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
