"""The PDF: one print document composed from the sections, typeset by WeasyPrint.

WeasyPrint gets a URL fetcher that reads only files inside the allowed
folders (the source and the packaged templates) and never the network, and
its log is watched so a glyph no font could draw becomes a diagnostic
instead of a silent blank box.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from reportgen import cjkprint
from reportgen.errors import Diagnostics

LOGGER = logging.getLogger("weasyprint")


@dataclass(frozen=True)
class Chapter:
    """One top-level section as the print document shows it."""

    id: str
    title: str
    html: str


def print_css(css: str, manifest) -> str:
    """The print stylesheet with the report's typography settings from report.yaml,
    which the Chinese typesetting extension (`cjkprint`) reads."""
    halt = '"halt"' if manifest.punctuation == "compress" else "normal"
    settings = (f"/* {cjkprint.REVISION} */\n"
                f":root {{ --cjk-punctuation: {manifest.punctuation}; --cjk-latin-spacing: {manifest.latin_spacing};"
                f" --cjk-halt: {halt}; }}\n")
    fallback = "" if cjkprint.supported() else "\n" + cjkprint.FALLBACK_CSS
    return settings + css + fallback


def typeset(document: str, source: Path, diags: Diagnostics) -> bytes:
    """PDF bytes for the print ``document`` (HTML), resources read from ``source``."""
    from weasyprint import HTML  # import costs ~1 s; only builds that write a PDF pay it

    fetcher = confined_fetcher(source)
    with _WeasyLog(diags) as _:
        html = HTML(string=document, base_url=source.resolve().as_uri() + "/", url_fetcher=fetcher)
        try:
            pdf = html.write_pdf(pdf_identifier=b"reportgen", optimize_images=False)
        except Exception as exc:  # the sources were checked; this is a last line, not a traceback
            diags.error("report.yaml", None, f"typesetting the PDF failed: {type(exc).__name__}: {exc}")
            return b""
    for url in fetcher.refused:
        diags.warning("report.yaml", None, f"resource outside the report not loaded into the PDF: {url}")
    return pdf


def confined_fetcher(source: Path):
    """A WeasyPrint URL fetcher that serves files inside ``source`` and nothing else.

    Both PDF engines make their fetcher here just before WeasyPrint reads a
    document, so this is also where the Chinese typesetting extension is put in
    place (once per process, book workers included)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    cjkprint.install()

    roots = (source.resolve(), Path(__file__).parent.joinpath("templates").resolve())

    class ConfinedFetcher(URLFetcher):
        def __init__(self):
            super().__init__(timeout=5, allowed_protocols=("file", "data"), allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            path = _local_path(url) if scheme == "file" else None
            if path is not None and path.is_file() and any(path.is_relative_to(r) for r in roots):
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
            self.refused.append(url)
            raise ValueError(f"refused: {url}")

    return ConfinedFetcher()


def _local_path(url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    try:
        return Path(url2pathname(unquote(parts.path))).resolve()
    except (OSError, ValueError):
        return None


class _WeasyLog(logging.Handler):
    """Turns WeasyPrint's warnings that a reader would notice into diagnostics."""

    NOTDEF = re.compile(r"\.notdef glyph rendered for Unicode string unsupported by fonts: \"?(.*?)\"? \((.*?)\)")

    def __init__(self, diags: Diagnostics):
        super().__init__(logging.WARNING)
        self.diags = diags

    def __enter__(self):
        LOGGER.addHandler(self)
        self._propagate, LOGGER.propagate = LOGGER.propagate, False
        return self

    def __exit__(self, *exc):
        LOGGER.removeHandler(self)
        LOGGER.propagate = self._propagate

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        match = self.NOTDEF.search(message)
        if match:
            self.diags.warning("report.yaml", None,
                               f"no installed font has a glyph for {match.group(1)!r} ({match.group(2)}); "
                               "it shows as an empty box in the PDF (install fonts-noto-cjk / fonts-noto-color-emoji)")
        elif "harfbuzz" in message.lower() and "subset" in message.lower():
            self.diags.warning("report.yaml", None, f"WeasyPrint: {message} (install libharfbuzz-subset0)")
        elif message.startswith("Failed to load") and "refused" not in message:
            self.diags.warning("report.yaml", None, f"WeasyPrint: {message}")
        # Other messages (e.g. SVG presentation properties in inline charts read by the
        # HTML style pass) say nothing a reader of the PDF would notice.
