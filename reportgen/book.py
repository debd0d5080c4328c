"""The PDF as a book: chapters typeset one by one, in parallel and cached, then bound.

A one-pass render lays out the whole report again for every edit.  Here each
top-level section is its own WeasyPrint document (sections start on a new
page anyway), typeset in worker processes on all cores and cached by its
input.  The front matter (cover, progress list, contents) is typeset last,
with page numbers that are now known.  Binding (pypdf) then adds what spans
documents: links between chapters, the bookmark tree, page numbers and the
metadata.  Chapters carry no page numbers of their own, so an edit that
changes one chapter's length re-typesets only that chapter.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reportgen import output
from reportgen.pdffonts import share_fonts

#: Bump when the way parts are typeset or bound changes, to drop old caches.
BOOK_VERSION = "3"
PX_TO_PT = 0.75


@dataclass
class Part:
    """One typeset document and what binding needs to know about it."""

    pages: int
    anchors: dict[str, list[float]] = field(default_factory=dict)
    """Anchor → [page index in this part, x, y] in PDF points (origin bottom-left)."""
    links: list[list] = field(default_factory=list)
    """Links to anchors of other parts: [page index, [x1, y1, x2, y2], anchor]."""
    bookmarks: list[list] = field(default_factory=list)
    """Flattened outline: [level, label, page index, x, y]."""
    messages: list[str] = field(default_factory=list)
    """Diagnostic messages (warnings) the typesetter gave."""


@dataclass(frozen=True)
class Job:
    """A document to typeset: its HTML and where its resources may come from."""

    key: str
    html: str
    source: str
    name: str = ""
    """What the progress display calls it (a section title)."""


def job(html: str, source: Path, name: str = "") -> Job:
    digest = hashlib.sha256(f"{BOOK_VERSION}\0{_weasyprint_version()}\0".encode() + html.encode()).hexdigest()
    return Job(digest, html, str(source.resolve()), name)


def typeset_all(jobs: list[Job], cache: Path, workers: int | None = None) -> list[tuple[Part, bytes]]:
    """Typeset each job (cached ones are read back), in parallel where it pays."""
    return start(jobs, cache, workers)()


def start(jobs: list[Job], cache: Path, workers: int | None = None, progress=None):
    """Begin typesetting ``jobs``; return the function that waits for the results.

    Worker processes are forked here, in the calling thread, before the caller
    goes on with other work (the HTML edition) while they typeset."""
    results: dict[str, tuple[Part, bytes]] = {}
    todo: list[Job] = []
    for item in jobs:
        cached = _read_cache(cache, item.key)
        if cached is not None:
            results[item.key] = cached
        elif item.key not in {t.key for t in todo}:
            todo.append(item)
    workers = min(workers or os.cpu_count() or 1, len(todo))
    pool = futures = None
    if workers > 1:
        import multiprocessing

        import weasyprint  # noqa: F401 - imported once here, inherited by the forked workers

        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        futures = [pool.submit(_typeset, item) for item in todo]

    def finish() -> list[tuple[Part, bytes]]:
        try:
            done = _collect(todo, futures, progress)
        finally:
            if pool is not None:
                pool.shutdown()
        for item, (part, pdf) in zip(todo, done):
            _write_cache(cache, item.key, part, pdf)
            results[item.key] = (part, pdf)
        return [results[item.key] for item in jobs]

    return finish


def _collect(todo: list[Job], futures, progress) -> list[tuple[Part, bytes]]:
    """Results in the order of ``todo``, telling ``progress`` as each part is done."""
    if futures is None:
        results = []
        for count, item in enumerate(todo, start=1):
            results.append(_typeset(item))
            if progress is not None:
                progress.section(count, len(todo), item.name)
        return results
    names = {future: item.name for future, item in zip(futures, todo)}
    for count, future in enumerate(as_completed(futures), start=1):
        if progress is not None:
            progress.section(count, len(todo), names[future])
    return [future.result() for future in futures]


def _typeset(item: Job) -> tuple[Part, bytes]:
    """Worker: lay out and paint one document, noting its anchors, links and outline."""
    from weasyprint import HTML

    from reportgen.errors import Diagnostics
    from reportgen.pdf import _WeasyLog, confined_fetcher

    source = Path(item.source)
    diags = Diagnostics()
    fetcher = confined_fetcher(source)
    with _WeasyLog(diags):
        html = HTML(string=item.html, base_url=source.as_uri() + "/", url_fetcher=fetcher)
        document = html.render(font_config=_font_config())
        part = _describe(document)
        pdf = document.write_pdf(pdf_identifier=b"reportgen")
    part.messages = [d.message for d in diags.items] + [
        f"resource outside the report not loaded into the PDF: {url}" for url in fetcher.refused]
    return part, pdf


_FONT_CONFIG = None


def _font_config():
    """One font configuration per process: parts typeset in the same worker share it,
    which saves reading the fonts' descriptions again for every part."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONT_CONFIG = FontConfiguration()
    return _FONT_CONFIG


def _describe(document) -> Part:
    part = Part(pages=len(document.pages))
    own = set()
    for index, page in enumerate(document.pages):
        height = page.height
        for name, point in page.anchors.items():
            own.add(name)
            part.anchors.setdefault(name, [index, point[0] * PX_TO_PT, (height - point[1]) * PX_TO_PT])
    for index, page in enumerate(document.pages):
        height = page.height
        for kind, target, rect, _ in page.links:
            if kind == "internal" and target not in own:
                x, y, w, h = rect
                box = [x * PX_TO_PT, (height - y - h) * PX_TO_PT, (x + w) * PX_TO_PT, (height - y) * PX_TO_PT]
                part.links.append([index, box, target])
    # The levels as the CSS gave them, not WeasyPrint's tree of this part alone: a section
    # inside a part starts at level 2, below the part's bookmark in an earlier part.
    part.bookmarks = [[level, label, index, x * PX_TO_PT, (page.height - y) * PX_TO_PT]
                      for index, page in enumerate(document.pages)
                      for level, label, (x, y), _state in page.bookmarks]
    return part


# --- binding ---------------------------------------------------------------------


@dataclass(frozen=True)
class Metadata:
    title: str
    author: str
    subject: str
    language: str
    date: str
    """PDF date string, D:YYYYMMDDHHmmSSZ."""


def bind_cached(parts: list[tuple[Part, bytes]], metadata: Metadata, numbered_from: int, cache: Path) -> bytes:
    """`bind`, skipped when the same parts were bound with the same metadata before."""
    digest = hashlib.sha256(repr((BOOK_VERSION, asdict(metadata), numbered_from)).encode())
    for _, pdf in parts:
        digest.update(hashlib.sha256(pdf).digest())
    path = cache / f"book-{digest.hexdigest()}.pdf"
    try:
        return path.read_bytes()
    except OSError:
        pass
    for old in cache.glob("book-*.pdf"):  # only the latest bound book is worth keeping
        old.unlink(missing_ok=True)
    pdf = bind(parts, metadata, numbered_from)
    output.write_bytes(path, pdf)
    return pdf


def bind(parts: list[tuple[Part, bytes]], metadata: Metadata, numbered_from: int) -> bytes:
    """One PDF from the typeset parts: links across parts, outline, page numbers, metadata."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    starts, anchors = [], {}
    for part, pdf in parts:
        starts.append(len(writer.pages))
        writer.append(PdfReader(io.BytesIO(pdf)), import_outline=False)
        for name, (index, x, y) in part.anchors.items():
            anchors.setdefault(name, (starts[-1] + index, x, y))
    _link_parts(writer, parts, starts, anchors)
    _outline(writer, parts, starts)
    _number_pages(writer, numbered_from)
    share_fonts(writer)
    _metadata(writer, metadata)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _link_parts(writer, parts, starts, anchors) -> None:
    from pypdf.annotations import Link
    from pypdf.generic import Fit

    for (part, _), start in zip(parts, starts):
        for index, box, target in part.links:
            if target not in anchors:
                continue
            page, x, y = anchors[target]
            writer.add_annotation(start + index, Link(rect=tuple(box), target_page_index=page, fit=Fit.xyz(x, y, 0)))


def _outline(writer, parts, starts) -> None:
    from pypdf.generic import Fit

    parents: list = [None]  # parents[n]: the last outline item at level n
    for (part, _), start in zip(parts, starts):
        for level, label, index, x, y in part.bookmarks:
            del parents[level:]
            while len(parents) < level:  # a skipped level hangs below the last item
                parents.append(parents[-1])
            item = writer.add_outline_item(title=label, page_number=start + index, parent=parents[level - 1],
                                           fit=Fit.xyz(x, y, 0))
            parents.append(item)


def _number_pages(writer, numbered_from: int) -> None:
    """Page numbers at the foot of every page from ``numbered_from`` (1-based) on.

    Drawn in the standard Helvetica, which every PDF reader has, so stamping
    costs nothing and needs no font subset."""
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    })
    font_ref = writer._add_object(font)
    for number, page in enumerate(writer.pages, start=1):
        if number < numbered_from:
            continue
        width = float(page.mediabox.width)
        text = str(number)
        x = width / 2 - 0.556 * 9 * len(text) / 2
        resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
        fonts = resources.setdefault(NameObject("/Font"), DictionaryObject()).get_object()
        fonts[NameObject("/RGPageNumber")] = font_ref
        stream = ContentStream(None, None)
        stream.set_data(f"q 0.333 0.333 0.333 rg BT /RGPageNumber 9 Tf {x:.2f} 34.00 Td ({text}) Tj ET Q".encode())
        _append_content(writer, page, stream)


def _append_content(writer, page, stream) -> None:
    """Draw ``stream`` over the page, in the page's own coordinates: the existing
    content is wrapped in q … Q so the transform it leaves behind does not apply."""
    from pypdf.generic import ArrayObject, ContentStream, NameObject

    def plain(data: bytes):
        piece = ContentStream(None, None)
        piece.set_data(data)
        return writer._add_object(piece)

    current = page.raw_get("/Contents") if "/Contents" in page else None  # a reference: streams stay indirect
    if current is None:
        existing = []
    elif isinstance(current.get_object(), ArrayObject):
        existing = list(current.get_object())
    else:
        existing = [current]
    page[NameObject("/Contents")] = ArrayObject([plain(b"q"), *existing, plain(b"Q"), writer._add_object(stream)])


def _metadata(writer, metadata: Metadata) -> None:
    from pypdf.generic import NameObject, TextStringObject

    writer.add_metadata({
        "/Title": metadata.title, "/Author": metadata.author, "/Subject": metadata.subject,
        "/Creator": "reportgen", "/Producer": f"reportgen, WeasyPrint {_weasyprint_version()}",
        "/CreationDate": metadata.date, "/ModDate": metadata.date,
    })
    writer._root_object[NameObject("/Lang")] = TextStringObject(metadata.language)
    writer._root_object[NameObject("/PageMode")] = NameObject("/UseOutlines")  # open with the bookmarks shown


# --- cache -----------------------------------------------------------------------


def _read_cache(cache: Path, key: str) -> tuple[Part, bytes] | None:
    meta, pdf = cache / f"{key}.json", cache / f"{key}.pdf"
    try:
        return Part(**json.loads(meta.read_text(encoding="utf-8"))), pdf.read_bytes()
    except (OSError, ValueError, TypeError):
        return None


def _write_cache(cache: Path, key: str, part: Part, pdf: bytes) -> None:
    output.write_bytes(cache / f"{key}.pdf", pdf)
    output.write_text(cache / f"{key}.json", json.dumps(asdict(part), ensure_ascii=False))


def _weasyprint_version() -> str:
    from importlib.metadata import version

    return version("weasyprint")
