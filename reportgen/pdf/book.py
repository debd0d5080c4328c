"""The PDF as a book: chapters typeset in parallel and cached, then bound.

A one-pass render lays out the whole report again for every edit.  Here the
top-level sections (units) are typeset in worker processes on all cores and
each unit is cached by its input.  A cold build puts many units into one
WeasyPrint document — about one per core, smaller ones for a long report so
that no worker holds too many pages — because every separate document pays
styles, fonts, subsetting and writing again; each unit starts on a new page,
so the document's pages are cut back into units and a unit edited later is
typeset on its own.  The front matter (cover, progress list, contents) is
typeset last, with page numbers that are now known, and so are the page
numbers themselves: documents of empty pages whose margin boxes carry
the report's own page counter, laid over the bound pages.  Binding (pypdf)
then adds what spans documents: links between units, the bookmark tree and
the metadata.  Units carry no page numbers of their own, so an edit that
changes one unit's length re-typesets only that unit.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import io
import json
import re
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reportgen import output, workers
from reportgen.pdf.pdffonts import share_fonts

#: Bump when the way parts are typeset or bound changes, to drop old caches.
BOOK_VERSION = "4"
PX_TO_PT = 0.75

#: Characters of HTML one document may hold when units are grouped: keeps a
#: worker's layout (about 0.6 MB per page) small at 2,000 pages, and costs one
#: more document's fixed cost per ~100 pages.
MAX_DOCUMENT_CHARS = 400_000


@dataclass
class Part:
    """One typeset unit and what binding needs to know about it."""

    pages: int
    anchors: dict[str, list[float]] = field(default_factory=dict)
    """Anchor → [page index in this part, x, y] in PDF points (origin bottom-left)."""
    links: list[list] = field(default_factory=list)
    """Links to anchors of other parts: [page index, [x1, y1, x2, y2], anchor]."""
    bookmarks: list[list] = field(default_factory=list)
    """Flattened outline: [level, label, page index, x, y]."""
    messages: list[str] = field(default_factory=list)
    """Diagnostic messages (warnings) the typesetter gave."""
    pdf: str = ""
    """File name (in the cache) of the typeset document holding this part's pages."""
    first: int = 0
    """Index of the part's first page in that document."""


@dataclass(frozen=True)
class Job:
    """A unit to typeset: its own document's HTML and where its resources may come from."""

    key: str
    html: str
    source: str
    name: str = ""
    """What the progress display and diagnostics call it (a section title)."""
    anchor: str = ""
    """An anchor on the unit's first page, so it can follow other units in one document
    ("": it can only begin a document)."""
    path: str = "report.yaml"
    """The source file a failure is reported against."""
    line: int | None = None
    """Its line (the section's heading), when the unit is a section."""
    measure: bool = False
    """Only its length and anchors are wanted: it carries placeholder page numbers and is
    typeset again with the real ones, so its pages are laid out but never drawn or written."""


@dataclass(frozen=True)
class Document:
    """What a worker typesets: one WeasyPrint document holding one or more units."""

    key: str
    html: str
    source: str
    units: tuple[Job, ...]


@dataclass(frozen=True)
class Failure:
    """A unit the worker could not typeset, and why."""

    job: Job
    message: str


def job(
    html: str,
    source: Path,
    name: str = "",
    anchor: str = "",
    path: str = "report.yaml",
    line: int | None = None,
    measure: bool = False,
) -> Job:
    key = _key(("measure\0" if measure else "") + html)  # a measured part has no pages to bind
    return Job(key, html, str(source.resolve()), name, anchor, path, line, measure)


def _key(html: str) -> str:
    return hashlib.sha256(f"{BOOK_VERSION}\0{_weasyprint_version()}\0".encode() + html.encode()).hexdigest()


class Book:
    """Typesetting in flight: worker processes, forked at once, and the cache they fill.

    ``start`` submits the units; ``wait`` gives them back in order; ``typeset``
    runs further single documents (the front matter, the page numbers) on the
    same warm workers; ``close`` ends the workers."""

    def __init__(self, cache: Path, count: int | None = None, progress=None):
        self.cache = cache
        self.workers = count or workers.cores()
        self.progress = progress
        self.pool = None
        self.failures: list[Failure] = []

    def start(self, jobs: list[Job], compose=None, fork: bool = True):
        """Begin typesetting ``jobs``; return the function that waits for their parts.

        ``compose(indices)`` gives the HTML of one document holding the jobs at
        those indices; without it every job is its own document.  Workers are forked
        only if ``fork`` (before the caller starts threads); else the ones already
        running are used, or this process."""
        results, todo = {}, []
        for index, item in enumerate(jobs):
            cached = _read_cache(self.cache, item.key)
            if cached is not None:
                results[item.key] = cached
            elif item.key not in {jobs[i].key for i in todo}:
                todo.append(index)
        costs = {i: cost(jobs[i]) for i in todo}
        groups = _groups(jobs, todo, self.workers, compose, costs)
        # Longest first: the workers take documents in this order, so none waits at the end
        # while another still typesets a long one.
        groups.sort(key=lambda group: -sum(costs[i] for i in group))
        documents = [self._document(jobs, group, compose) for group in groups]
        futures = self._submit(documents, fork)

        def wait() -> list[Part] | None:
            for document, done in self._collect(documents, futures):
                for part in self._store(document, done):
                    results[part[0]] = part[1]
            if self.failures:
                return None
            return [results[item.key] for item in jobs]

        return wait

    def remembered(self, name: str) -> int | None:
        """A number `remember` kept from the last build (the front matter's length)."""
        try:
            value = int((self.cache / f"{name}.txt").read_text())
        except (OSError, ValueError):
            return None
        return value if 0 < value <= MAX_REMEMBERED_PAGE else None

    def remember(self, name: str, value: int) -> None:
        if self.remembered(name) != value:
            output.write_text(self.cache / f"{name}.txt", str(value))

    def remembered_pages(self) -> dict[str, int] | None:
        """The page of every figure and table the last build printed (`remember_pages`)."""
        try:
            pages = json.loads((self.cache / "label-pages.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        valid = isinstance(pages, dict) and all(
            isinstance(page, int) and 0 < page <= MAX_REMEMBERED_PAGE for page in pages.values()
        )
        return pages if valid else None

    def remember_pages(self, pages: dict[str, int]) -> None:
        if self.remembered_pages() != pages:
            output.write_text(self.cache / "label-pages.json", json.dumps(pages, ensure_ascii=False, sort_keys=True))

    def prune(self, kept: list[Part]) -> None:
        """Delete the typeset documents no part of ``kept`` comes from, so the cache does
        not grow with every edit (a part whose document is gone is typeset again)."""
        used = {part.pdf for part in kept}
        for path in self.cache.glob("doc-*.pdf"):
            if path.name not in used:
                path.unlink(missing_ok=True)

    def typeset(self, jobs: list[Job], compose=None) -> list[Part] | None:
        return self.start(jobs, compose, fork=False)()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    def _document(self, jobs: list[Job], group: list[int], compose) -> Document:
        units = tuple(jobs[i] for i in group)
        html = units[0].html if len(units) == 1 else compose(group)
        return Document(_key(html), html, units[0].source, units)

    def _submit(self, documents: list[Document], fork: bool):
        """Futures of ``documents`` on the workers, or None to typeset in this process."""
        if not documents or (self.pool is None and (self.workers < 2 or not fork)):
            return None
        if self.pool is not None:
            return [self.pool.submit(_typeset, document) for document in documents]
        import weasyprint  # noqa: F401 - imported once here, inherited by the forked workers

        # A fork pool forks all its workers at the first submission.  What this process
        # holds then (modules, the parsed report) is never garbage in a worker: frozen, the
        # workers' collections neither walk it nor touch (and so copy) the memory they share
        # with this process, which unfreezes it again once they are forked.
        gc.freeze()
        try:
            self.pool = workers.pool(self.workers)
            futures = [self.pool.submit(_typeset, document) for document in documents]
        finally:
            gc.unfreeze()
        return futures

    def _collect(self, documents: list[Document], futures):
        """(document, worker result) as each is done, telling ``progress``."""
        total = len(documents)
        if futures is None:
            for count, document in enumerate(documents, start=1):
                yield document, _typeset(document)
                self._tell(count, total, document)
            return
        names = dict(zip(futures, documents))
        for count, future in enumerate(as_completed(futures), start=1):
            document = names[future]
            try:
                done = future.result()
            except Exception:  # a worker process died (killed, out of memory): the pool is broken
                done = _isolated(document)
            self._tell(count, total, document)
            yield document, done
        if self.pool is not None and getattr(self.pool, "_broken", False):
            self.pool.shutdown()
            self.pool = None

    def _tell(self, count: int, total: int, document: Document) -> None:
        if self.progress is not None:
            names = [unit.name for unit in document.units if unit.name]
            label = names[0] + (f" … {names[-1]}" if len(names) > 1 else "") if names else ""
            self.progress.section(count, total, label)

    def _store(self, document: Document, done) -> list[tuple[str, Part]]:
        """Write a worker's document and its parts into the cache; note failures."""
        if isinstance(done, list):
            self.failures += done
            return []
        pdfs, parts = done
        stored = []
        for name, pdf in pdfs.items():
            output.write_bytes(self.cache / name, pdf)
        for key, part in parts:
            _write_cache(self.cache, key, part)
            stored.append((key, part))
        return stored


def _isolated(document: Document):
    """``document`` again, after its worker died: each unit in a process of its own,
    so the unit that kills its process is the one named."""
    results = []
    for unit in document.units:
        with workers.pool(1) as pool:
            try:
                results.append(pool.submit(_typeset, _alone(unit)).result())
            except Exception as error:
                results.append([Failure(unit, f"the typesetting process ended unexpectedly ({type(error).__name__})")])
    return _merged(results)


def _groups(jobs: list[Job], todo: list[int], workers: int, compose, costs: dict[int, float]) -> list[list[int]]:
    """Split the jobs to typeset into documents: runs of neighbours of about equal cost.

    Few jobs (an edit) are typeset one document each, so each stays cacheable
    on its own at no extra cost; many (a cold build) go into about one
    document per core, more when they would make a document too long."""
    if compose is None or len(todo) <= workers:
        return [[i] for i in todo]
    count = min(len(todo), max(workers, -(-sum(len(jobs[i].html) for i in todo) // MAX_DOCUMENT_CHARS)))
    alone = sum(costs[i] for i in todo if not jobs[i].anchor)  # each its own document anyway
    target = (sum(costs[i] for i in todo) - alone) / count
    groups: list[list[int]] = [[]]
    filled = 0.0
    for index in todo:
        weight = costs[index]
        starts_own = not jobs[index].anchor  # it can only be first in a document
        if groups[-1] and (starts_own or filled + weight / 2 > target * len(groups)):
            groups.append([])
        groups[-1].append(index)
        if not starts_own:
            filled += weight
    return groups


MAX_REMEMBERED_PAGE = 1_000_000
"""A page number read back from the cache is believed up to here (the folder is the user's to change)."""


#: What typesetting a unit costs beside its text and elements, in the units of `cost`
#: (its page breaks, margin boxes, styles of its own), and what share of its cost a
#: measured unit pays (laid out, never drawn or written).
UNIT_COST = 1000
MEASURE_SHARE = 0.6


def cost(unit: Job) -> float:
    """A unit's typesetting time, predicted from its HTML: visible characters plus
    elements, which decide the lines and boxes WeasyPrint lays out (the length of the
    HTML does not: a chart's drawing is long and quick, a table short and slow)."""
    body = unit.html[unit.html.find("<body") :]
    elements = body.count("<")
    characters = len(body) - sum(len(tag) for tag in _TAG.findall(body))
    weight = UNIT_COST + characters + 2 * elements
    return weight * MEASURE_SHARE if unit.measure else weight


_TAG = re.compile(r"<[^>]*>")


def _typeset(document: Document):
    """Worker: typeset ``document`` and cut it into its units' parts.

    Returns ({file name: PDF bytes}, [(unit key, Part)]), or a list of
    `Failure` when a unit cannot be typeset.  A document of several units
    that fails, or whose units do not each begin on a page of their own
    (a template without page breaks between sections), is typeset again
    unit by unit."""
    try:
        result = _typeset_document(document)
        workers.give_back_memory()  # so a worker's memory does not grow with every document
    except Exception as error:
        if len(document.units) == 1:
            return [Failure(document.units[0], f"{type(error).__name__}: {error}")]
        result = None
    if result is not None:
        return result
    return _merged([_typeset(_alone(unit)) for unit in document.units])


def _alone(unit: Job) -> Document:
    return Document(unit.key, unit.html, unit.source, (unit,))


def _merged(results: list):
    """Worker results of several documents as one; any failure makes it a failure."""
    pdfs, parts, failures = {}, [], []
    for done in results:
        if isinstance(done, list):
            failures += done
        else:
            pdfs.update(done[0])
            parts += done[1]
    return failures or (pdfs, parts)


def _typeset_document(document: Document):
    from reportgen.errors import Diagnostics
    from reportgen.pdf.typeset import _WeasyLog, confined_fetcher, fewer_collections

    source = Path(document.source)
    diags = Diagnostics()
    fetcher = confined_fetcher(source)
    with _WeasyLog(diags), fewer_collections():
        rendered = _render(document.html, source, fetcher)
        starts = _starts(rendered, document.units)
        if starts is None:
            return None
        parts = _describe(rendered, starts)
        # Measured units are laid out (their length and anchors are all that is wanted)
        # but their pages are neither drawn nor written: drawing, subsetting and writing
        # are about 40 % of a document's time.
        written = [
            i
            for part, unit, first in zip(parts, document.units, starts)
            if not unit.measure
            for i in range(first, first + part.pages)
        ]
        pdf = None
        if written:
            kept = (
                rendered if len(written) == len(rendered.pages) else rendered.copy([rendered.pages[i] for i in written])
            )
            pdf = kept.write_pdf(pdf_identifier=b"reportgen")
    messages = [d.message for d in diags.items] + [
        f"resource outside the report not loaded into the PDF: {url}" for url in fetcher.refused
    ]
    name = f"doc-{document.key}.pdf"
    position = {page: index for index, page in enumerate(written)}
    for part, first, unit in zip(parts, starts, document.units):
        # WeasyPrint's log does not say which unit a message is about: each unit keeps
        # them all (the build shows each once), so none is lost when a unit is cached.
        part.messages = messages
        if not unit.measure:
            part.pdf, part.first = name, position[first]
    return ({name: pdf} if pdf is not None else {}), [(unit.key, part) for unit, part in zip(document.units, parts)]


def _render(html: str, source: Path, fetcher):
    """WeasyPrint's layout of ``html`` (a seam for tests that make a worker fail)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=source.as_uri() + "/", url_fetcher=fetcher).render(font_config=_font_config())


def _starts(document, units: tuple[Job, ...]) -> list[int] | None:
    """Index of each unit's first page, or None when the units do not each begin a page."""
    starts = [0]
    where = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            where.setdefault(name, index)
    for unit in units[1:]:
        page = where.get(unit.anchor)
        if page is None or page <= starts[-1]:
            return None
        starts.append(page)
    return starts


# WeasyPrint's font configuration of this process (a worker's); invalidated by nothing: fonts
# installed while a build runs are seen by the next build.
_FONT_CONFIG = None


def _font_config():
    """One font configuration per process: documents typeset in the same worker share it,
    which saves reading the fonts' descriptions again for every document."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONT_CONFIG = FontConfiguration()
    return _FONT_CONFIG


def _describe(document, starts: list[int]) -> list[Part]:
    """One Part per unit (pages ``starts[i]`` up to the next start).  Links that leave
    their unit are taken out of the document and kept for binding, which draws them."""
    pages = document.pages
    ends = starts[1:] + [len(pages)]
    unit_of = [u for u, (a, b) in enumerate(zip(starts, ends)) for _ in range(a, b)]
    parts = [Part(pages=b - a) for a, b in zip(starts, ends)]
    owner: dict[str, int] = {}
    for index, page in enumerate(pages):
        unit = unit_of[index]
        height = page.height
        for name, point in page.anchors.items():
            owner.setdefault(name, unit)
            parts[unit].anchors.setdefault(
                name, [index - starts[unit], point[0] * PX_TO_PT, (height - point[1]) * PX_TO_PT]
            )
    for index, page in enumerate(pages):
        unit = unit_of[index]
        height = page.height
        kept = []
        for link in page.links:
            kind, target, rect, _ = link
            if kind == "internal" and owner.get(target) != unit:
                x, y, w, h = rect
                box = [x * PX_TO_PT, (height - y - h) * PX_TO_PT, (x + w) * PX_TO_PT, (height - y) * PX_TO_PT]
                parts[unit].links.append([index - starts[unit], box, target])
            else:
                kept.append(link)
        page.links[:] = kept
    # The levels as the CSS gave them, not WeasyPrint's tree of this document alone: a section
    # inside a part starts at level 2, below the part's bookmark in an earlier document.
    for index, page in enumerate(pages):
        unit = unit_of[index]
        for level, label, (x, y), _state in page.bookmarks:
            parts[unit].bookmarks.append(
                [level, label, index - starts[unit], x * PX_TO_PT, (page.height - y) * PX_TO_PT]
            )
    return parts


# --- binding ---------------------------------------------------------------------


@dataclass(frozen=True)
class Metadata:
    title: str
    author: str
    subject: str
    language: str
    date: str
    """PDF date string, D:YYYYMMDDHHmmSSZ."""


def bind_cached(parts: list[Part], metadata: Metadata, numbers: list[Part], cache: Path) -> bytes:
    """`bind`, skipped when the same parts were bound with the same metadata before."""
    digest = hashlib.sha256(repr((BOOK_VERSION, asdict(metadata))).encode())
    for part in parts + numbers:
        digest.update(repr((part.pdf, part.first, part.pages)).encode())
    path = cache / f"book-{digest.hexdigest()}.pdf"
    try:
        return path.read_bytes()
    except OSError:
        pass
    for old in cache.glob("book-*.pdf"):  # only the latest bound book is worth keeping
        old.unlink(missing_ok=True)
    pdf = bind(parts, metadata, numbers, cache)
    output.write_bytes(path, pdf)
    return pdf


def bind(parts: list[Part], metadata: Metadata, numbers: list[Part], cache: Path) -> bytes:
    """One PDF from the typeset parts: links across parts, outline, page numbers, metadata."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    readers: dict[str, PdfReader] = {}
    starts, anchors = [], {}
    for part in parts:
        starts.append(len(writer.pages))
        reader = readers.get(part.pdf) or readers.setdefault(part.pdf, PdfReader(cache / part.pdf))
        writer.append(reader, pages=(part.first, part.first + part.pages), import_outline=False)
        for name, (index, x, y) in part.anchors.items():
            anchors.setdefault(name, (starts[-1] + index, x, y))
    _link_parts(writer, parts, starts, anchors)
    _outline(writer, parts, starts)
    if numbers:
        _number_pages(writer, [page for part in numbers for page in PdfReader(cache / part.pdf).pages])
    share_fonts(writer, cache)
    _metadata(writer, metadata)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _link_parts(writer, parts, starts, anchors) -> None:
    from pypdf.annotations import Link
    from pypdf.generic import Fit

    for part, start in zip(parts, starts):
        for index, box, target in part.links:
            if target not in anchors:
                continue
            page, x, y = anchors[target]
            writer.add_annotation(start + index, Link(rect=tuple(box), target_page_index=page, fit=Fit.xyz(x, y, 0)))


def _outline(writer, parts, starts) -> None:
    from pypdf.generic import Fit

    parents: list = [None]  # parents[n]: the last outline item at level n
    for part, start in zip(parts, starts):
        for level, label, index, x, y in part.bookmarks:
            del parents[level:]
            while len(parents) < level:  # a skipped level hangs below the last item
                parents.append(parents[-1])
            item = writer.add_outline_item(
                title=label, page_number=start + index, parent=parents[level - 1], fit=Fit.xyz(x, y, 0)
            )
            parents.append(item)


#: The page-number document is made for a page count rounded up to this, so an edit
#: that adds or removes a page or two finds it in the cache (at ~8 ms a page).
NUMBERS_STEP = 32


#: Pages of one page-number document.  WeasyPrint's time per page grows with the
#: document (2,129 pages in one: 16 s and 333 MB; 256: 1.1 s and 136 MB), so a long
#: book's numbers are typeset in pieces, on all workers.  Even, so every piece starts
#: on a right-hand page, as its pages do in the book.
NUMBERS_CHUNK = 256


def numbers_html(css: str, front_pages: int, total: int, tail: int = 0) -> list[str]:
    """The page-number documents: empty pages — the cover, the front matter's named
    pages, plain ones, the ``tail`` pages of colophon and back cover (named like them,
    so unnumbered), then plain ones up to ``total`` rounded up — whose margin boxes draw
    only the report's own page counter (running strings are empty, backgrounds are off),
    `NUMBERS_CHUNK` pages a document, each counting on from where the one before ends.
    Binding uses as many of their pages as the book has."""
    names = ["cover"] + ["front"] * max(front_pages - 1, 0)
    names += [""] * max(total - tail - front_pages, 0) + ["colophon"] * tail
    names += [""] * max(-(-total // NUMBERS_STEP) * NUMBERS_STEP - max(total, front_pages), 0)
    return [
        _numbers_document(css, names[start : start + NUMBERS_CHUNK], start + 1)
        for start in range(0, len(names), NUMBERS_CHUNK)
    ]


def _numbers_document(css: str, names: list[str], first: int) -> str:
    pages = "".join(f'<div style="page: {name}"></div>' if name else "<div></div>" for name in names)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>' + css + "</style>"
        "<style>@page { background: none; border: none; box-shadow: none }"
        f" @page :first {{ counter-reset: page {first} }}"
        " html, body { background: none } body > div { break-after: page; height: 1px }</style>"
        "</head><body>" + pages + "</body></html>"
    )


def _number_pages(writer, numbers: list) -> None:
    """Lay each page of the page-number documents (``numbers``, in order) over the bound
    page of the same number.

    Each becomes a form XObject of its own, so its resources (the report's own
    font, as the one-pass render embeds it) stay apart from the page's; the
    shared font program is then merged with the parts' by `share_fonts`."""
    from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, FloatObject, NameObject

    for number, (page, over) in enumerate(zip(writer.pages, numbers), start=1):
        form = ContentStream(None, None)
        form.set_data(over.get_contents().get_data() if over.get_contents() is not None else b"")
        form.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): ArrayObject(FloatObject(v) for v in over.mediabox),
                NameObject("/Resources"): over["/Resources"].clone(writer),
            }
        )
        name = NameObject(f"/RGPage{number}")
        resources = page.get("/Resources")
        resources = DictionaryObject(resources.get_object()) if resources is not None else DictionaryObject()
        xobjects = resources.get("/XObject")
        xobjects = DictionaryObject(xobjects.get_object()) if xobjects is not None else DictionaryObject()
        xobjects[name] = writer._add_object(form)
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources  # the page's own: WeasyPrint shares one between pages
        stream = ContentStream(None, None)
        stream.set_data(f"q {name} Do Q".encode())
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

    writer.add_metadata(
        {
            "/Title": metadata.title,
            "/Author": metadata.author,
            "/Subject": metadata.subject,
            "/Creator": "reportgen",
            "/Producer": f"reportgen, WeasyPrint {_weasyprint_version()}",
            "/CreationDate": metadata.date,
            "/ModDate": metadata.date,
        }
    )
    writer._root_object[NameObject("/Lang")] = TextStringObject(metadata.language)
    writer._root_object[NameObject("/PageMode")] = NameObject("/UseOutlines")  # open with the bookmarks shown


# --- cache -----------------------------------------------------------------------


def _read_cache(cache: Path, key: str) -> Part | None:
    """The cached part of ``key``, if both its description and its document (none for a
    measured part) are there."""
    try:
        part = Part(**json.loads((cache / f"{key}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return part if not part.pdf or (cache / part.pdf).is_file() else None


def _write_cache(cache: Path, key: str, part: Part) -> None:
    output.write_text(cache / f"{key}.json", json.dumps(asdict(part), ensure_ascii=False))


@functools.cache  # never invalidated: the installed WeasyPrint does not change under a running process
def _weasyprint_version() -> str:
    from importlib.metadata import version

    return version("weasyprint")
