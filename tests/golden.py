"""Golden pages: whole pages of the sample report, checked in and compared as text.

The sample (the repository root's report.yaml, sections/ and assets/) is copied
without its git history and built on a pinned day, so a page changes only when
what reportgen makes of the sample changes.  ``make golden`` rewrites the
expected pages and the Markdown fixture cases; review the diff before committing.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
EPOCH = "1796083200"  # 2026-12-01, the sample's build day
#: Golden file name → the page of the build it holds.
PAGES = {
    "index.html": "html/index.html",
    "section-03-finance.html": "html/03-finance.html",
    "dashboard.html": "dashboard/index.html",
    "print.html": "print.html",
}


def copy_sample(into: Path) -> Path:
    source = into / "sample"
    source.mkdir()
    shutil.copy2(ROOT / "report.yaml", source / "report.yaml")
    for folder in ("sections", "assets", "templates"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, source / folder)
    return source


def build_pages(workdir: Path) -> dict[str, str]:
    """Golden file name → the page as this checkout builds it, normalised (SOURCE_DATE_EPOCH set to EPOCH)."""
    from click.testing import CliRunner

    from reportgen.build import print_document
    from reportgen.cli import main
    from reportgen.errors import Diagnostics
    from reportgen.load.reader import load_report
    from reportgen.render.editions import select

    source, out = copy_sample(workdir), workdir / "out"
    result = CliRunner().invoke(
        main, ["build", str(source), "--out", str(out), "--format", "html,dashboard", "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    report = load_report(source, Diagnostics())
    (out / "print.html").write_text(print_document(report, select(report, "draft", Diagnostics())), encoding="utf-8")
    return {name: normalise((out / rel).read_text(encoding="utf-8"), workdir) for name, rel in PAGES.items()}


def normalise(page: str, workdir: Path) -> str:
    """Remove what differs between two builds of the same source: the scratch folder's path."""
    page = page.replace(str(workdir.resolve()), "WORKDIR").replace(str(workdir), "WORKDIR")
    return re.sub(r"[ \t]+\n", "\n", page)


def regenerate() -> None:
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for name, page in build_pages(Path(folder)).items():
            (GOLDEN / name).write_text(page, encoding="utf-8")
            print(f"wrote tests/golden/{name}")
    from tests import test_markdown

    with tempfile.TemporaryDirectory() as folder:
        test_markdown.regenerate(Path(folder))
        print("wrote tests/fixtures/*.md")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    regenerate()
