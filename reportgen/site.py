"""The HTML edition: an index page and one page per top-level section.

Pages are rendered in memory and written into a staged folder that replaces
``OUT/html`` whole, so readers never see a half-updated site.  Only files the
sections use (and the logo) are copied; nothing outside the source is read.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from reportgen import output, templates
from reportgen.editions import Edition
from reportgen.errors import Diagnostics
from reportgen.model import Report

STATIC = ("style.css",)


@dataclass
class Site:
    """Everything the HTML edition consists of, ready to be written."""

    pages: dict[str, str] = field(default_factory=dict)
    """Relative path → HTML text."""
    assets: set[str] = field(default_factory=set)
    """Source-relative paths of files to copy as they are."""


def render_site(report: Report, edition: Edition, figures, options, diags: Diagnostics):
    """Render every page; return the function that writes the site into place."""
    site = Site()
    views = edition.views
    nav = [{"id": v.section.id, "title": v.section.title, "page": v.section.page,
            "status": (v.section.root.status.value if v.section.root.status else "unmarked")} for v in views]
    common = dict(report=report, manifest=report.manifest, edition=edition.name, nav=nav,
                  has_pdf="pdf" in options.formats)
    site.pages["index.html"] = templates.render(
        report.source, "index.html", page_id="index", toc=_toc(edition), prev=None,
        next=nav[0] if nav else None, logo=_asset(report, report.manifest.logo, site), **common)
    for i, view in enumerate(views):
        from reportgen.build import section_html

        body = section_html(report, view, "html", edition.name, figures)
        site.assets |= view.section.env.get("assets", set())
        local_toc = [{"level": h.level, "title": h.title, "anchor": h.anchor} for h in view.headings if 2 <= h.level <= 3]
        site.pages[view.section.page] = templates.render(
            report.source, "section.html", page_id=view.section.id, section=view.section, body=body,
            local_toc=local_toc, prev=nav[i - 1] if i > 0 else None, next=nav[i + 1] if i + 1 < len(nav) else None,
            **common)
    return lambda: write_site(report, site, options.out)


def _toc(edition: Edition) -> list[dict]:
    from reportgen.build import toc_entries

    return toc_entries(edition, "html")


def _asset(report: Report, rel: str | None, site: Site) -> str | None:
    if not rel:
        return None
    full = (report.source / rel).resolve()
    if full.is_file() and full.is_relative_to(report.source.resolve()):
        site.assets.add(full.relative_to(report.source.resolve()).as_posix())
        return full.relative_to(report.source.resolve()).as_posix()
    return None


def write_site(report: Report, site: Site, out: Path) -> Path:
    final = out / "html"
    with output.staged_dir(final) as stage:
        for rel, text in site.pages.items():
            (stage / rel).write_text(text, encoding="utf-8")
        for name in STATIC:
            (stage / name).write_text(templates.read(report.source, name), encoding="utf-8")
        for rel in sorted(site.assets):
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(report.source / rel, target)
        if (out / "report.pdf").is_file():
            shutil.copyfile(out / "report.pdf", stage / "report.pdf")
    return final / "index.html"
