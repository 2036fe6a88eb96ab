"""Make the committed plan appendices in tests/data/plans/ (needs LibreOffice).

    python tools/make_plan_fixtures.py

* ``cao-bang-phu-luc.pdf``: the Cao Bằng seed as a Word appendix (A4 landscape, Times New
  Roman, agency cells merged down), printed to PDF by LibreOffice: the small PDF the tests
  import as an office would get it from a portal.
* ``ninh-binh-2026-libreoffice.docx``: the 2026 seed with agency and deadline cells merged down
  and agencies on separate lines, opened and saved again by LibreOffice Writer (it writes merges
  and line breaks its own way).

The tests build every other variant in code (tests/plankit.py); these two are committed so that
a machine without LibreOffice still imports a real LibreOffice file.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.office import convert  # noqa: E402
from tests.plankit import PLANS, WordOptions, read_seed, word_plan  # noqa: E402

TARGET = ROOT / "tests" / "data" / "plans"


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = word_plan(
            work / "cao-bang-phu-luc.docx", read_seed(PLANS["cb"][0]), WordOptions(merge_down=("agencies",))
        )
        pdf = convert(source, work / "pdf", "pdf")
        assert pdf is not None, "LibreOffice is not installed"
        shutil.copyfile(pdf, TARGET / "cao-bang-phu-luc.pdf")
        options = WordOptions(merge_down=("agencies", "deadline"), line_breaks=True)
        source = word_plan(work / "ninh-binh-2026-libreoffice.docx", read_seed(PLANS["nb2026"][0]), options)
        saved = convert(source, work / "lo", "docx:MS Word 2007 XML")
        assert saved is not None
        shutil.copyfile(saved, TARGET / "ninh-binh-2026-libreoffice.docx")
    for path in sorted(TARGET.iterdir()):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
