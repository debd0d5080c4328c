"""The PDF: one print document composed from the sections, typeset by WeasyPrint.

WeasyPrint gets a URL fetcher that reads only files inside the allowed
folders (the source and the packaged templates) and never the network, and
its log is watched so a glyph no font could draw becomes a diagnostic
instead of a silent blank box.  `Output` says which PDF to write: tagged
(structure tree, /Alt, /Lang) for the public edition, a PDF/A, PDF/UA or
PDF/X variant when ``report.yaml`` asks; every PDF opens with its outline
shown and carries XMP metadata.
"""

from __future__ import annotations

import gc
import logging
import mimetypes
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from reportgen.errors import Diagnostics
from reportgen.load import confine
from reportgen.pdf import cjkprint

LOGGER = logging.getLogger("weasyprint")


@dataclass(frozen=True)
class Chapter:
    """One top-level section as the print document shows it."""

    id: str
    title: str
    html: str
    lang: str | None = None
    """The chapter's language when it is not the report's (a section not translated yet)."""


def print_css(css: str, manifest) -> str:
    """The print stylesheet with the report's typography settings from report.yaml,
    which the Chinese typesetting extension (`cjkprint`) reads."""
    halt = '"halt"' if manifest.punctuation == "compress" else "normal"
    settings = (
        f"/* {cjkprint.REVISION} */\n"
        f":root {{ --cjk-punctuation: {manifest.punctuation}; --cjk-latin-spacing: {manifest.latin_spacing};"
        f" --cjk-halt: {halt}; }}\n"
    )
    fallback = "" if cjkprint.supported() else "\n" + cjkprint.FALLBACK_CSS
    return settings + css + fallback


@dataclass(frozen=True)
class Output:
    """Which PDF WeasyPrint writes."""

    tagged: bool = False
    """A structure tree (headings, paragraphs, tables with headers, figures with /Alt)."""
    variant: str | None = None
    """A WeasyPrint ``pdf_variant`` (pdf/a-3b, pdf/ua-1, pdf/x-4 …), or None for plain PDF."""
    language: str = ""
    """BCP 47 tag, for the XMP metadata (the catalog's /Lang comes from <html lang>)."""


#: Allocations between two collections of the youngest generation while WeasyPrint
#: typesets (Python's default: 700).  Layout allocates millions of short-lived
#: objects and frees nearly all of them by reference counting; at the default the
#: collector walks the young objects hundreds of times a page for the few cycles.
TYPESETTING_GC_THRESHOLD = 50_000


@contextmanager
def fewer_collections():
    """Collect garbage less often while typesetting (``gc`` thresholds restored after)."""
    before = gc.get_threshold()
    gc.set_threshold(TYPESETTING_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def typeset(document: str, source: Path, diags: Diagnostics, output: Output = Output()) -> bytes:
    """PDF bytes for the print ``document`` (HTML), resources read from ``source``."""
    from weasyprint import HTML  # import costs ~1 s; only builds that write a PDF pay it

    fetcher = confined_fetcher(source)
    with _WeasyLog(diags) as _, fewer_collections():
        html = HTML(string=document, base_url=source.resolve().as_uri() + "/", url_fetcher=fetcher)
        options = {"pdf_tags": output.tagged, "pdf_variant": output.variant}
        if output.variant and output.variant.startswith("pdf/x"):
            options["output_intent"] = "device-cmyk"  # the printer's profile, from @color-profile device-cmyk
        try:
            pdf = html.write_pdf(
                pdf_identifier=b"reportgen", optimize_images=False, finisher=_finisher(output), **options
            )
        except Exception as exc:  # the sources were checked; this is a last line, not a traceback
            diags.error("report.yaml", None, f"typesetting the PDF failed: {type(exc).__name__}: {exc}")
            return b""
    for url in fetcher.refused:
        diags.warning("report.yaml", None, f"resource outside the report not loaded into the PDF: {url}")
    return pdf


def _finisher(output: Output):
    """Last touches on the PDF before WeasyPrint writes it: open with the outline panel
    shown, and XMP metadata (title, authors, dates — and the language, which WeasyPrint's
    own XMP leaves out) in every PDF, not only in the archival variants."""
    import pydyf

    def finish(document, pdf) -> None:
        pdf.catalog["PageMode"] = "/UseOutlines"
        if "Metadata" not in pdf.catalog:
            document.metadata.include_in_pdf(pdf, "", None, None, compress=False)
        stream = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
        if output.language and isinstance(stream, pydyf.Stream):
            stream.stream = [_with_language(b"".join(stream.stream), output.language)]

    return finish


def _with_language(xmp: bytes, language: str) -> bytes:
    from xml.sax.saxutils import escape

    description = (
        '<rdf:Description xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" rdf:about="">'
        f"<dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language></rdf:Description>"
    ).encode()
    closing = xmp.rfind(b"</rdf:RDF>")
    return xmp if closing < 0 else xmp[:closing] + description + xmp[closing:]


def confined_fetcher(source: Path):
    """A WeasyPrint URL fetcher that serves files inside ``source`` and nothing else.

    Both PDF engines make their fetcher here just before WeasyPrint reads a
    document, so this is also where the Chinese typesetting extension is put in
    place (once per process, book workers included)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    cjkprint.install()
    _install_single_leaders()

    roots = (source.resolve(), Path(__file__).parent.parent.joinpath("templates").resolve())

    class ConfinedFetcher(URLFetcher):
        def __init__(self):
            super().__init__(timeout=5, allowed_protocols=("file", "data"), allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            path = _local_path(url) if scheme == "file" else None
            if path is not None and any(confine.inside(r, path) for r in roots):
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
            self.refused.append(url)
            raise ValueError(f"refused: {url}")

    return ConfinedFetcher()


_leaders_installed = False
"""Whether WeasyPrint's leader layout is patched in this process; never invalidated (the patch
lasts as long as the imported WeasyPrint does)."""


def _install_single_leaders() -> None:
    """Lay a ``leader()`` out as one text box instead of one per repetition.

    WeasyPrint 70 (``layout/leader.py``) fills a leader with a copy of its text box
    per dot, each positioned and drawn on its own: the contents' dotted leaders were
    10,800 ``draw_text`` calls, about 2.5 CPU-s of a 47-page report.  The copies sit
    edge to edge, a whole number of the string's widths back from the line's end, so
    one box holding the string repeated, placed where the leftmost copy was, draws the
    same glyphs at the same places (the string is shaped once; its advance is the
    same each time)."""
    global _leaders_installed
    if _leaders_installed:
        return
    from weasyprint.layout import inline
    from weasyprint.layout.leader import leader_index
    from weasyprint.text.line_break import create_layout

    original = inline.handle_leader

    def handle_leader(context, line, containing_block):
        original(context, line, containing_block)
        _, leader = leader_index(line)
        if leader is None or len(leader.children) < 2:
            return
        dots = sorted(leader.children, key=lambda box: box.position_x)
        first = dots[0]
        joined = first.copy_with_text(first.text * len(dots))
        joined.position_x = first.position_x
        layout = create_layout(joined.text, joined.style, context, max_width=None, justification_spacing=0)
        layout.deactivate()
        joined.pango_layout = layout
        joined.width = first.width * len(dots)
        leader.children = (joined,)

    inline.handle_leader = handle_leader
    _leaders_installed = True


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

    NO_ALT = re.compile(r'Image "(.*?)" has no required alt description')

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
            self.diags.warning(
                "report.yaml",
                None,
                f"no installed font has a glyph for {match.group(1)!r} ({match.group(2)}); "
                "it shows as an empty box in the PDF (install fonts-noto-cjk / fonts-noto-color-emoji)",
            )
        elif "harfbuzz" in message.lower() and "subset" in message.lower():
            self.diags.warning("report.yaml", None, f"WeasyPrint: {message} (install libharfbuzz-subset0)")
        elif match := self.NO_ALT.search(message):
            self.diags.warning(
                "report.yaml",
                None,
                f"image {match.group(1)} has no alt text: the tagged PDF tells a screen reader "
                "nothing about it; write what it shows in ![…](…)",
            )
        elif message.startswith("Failed to load") and "refused" not in message:
            self.diags.warning("report.yaml", None, f"WeasyPrint: {message}")
        # Other messages (e.g. SVG presentation properties in inline charts read by the
        # HTML style pass) say nothing a reader of the PDF would notice.
