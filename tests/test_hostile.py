"""The corpus of bad and hostile sources in ``tests/hostile/``, built with the CLI.

Each case is a folder: the files of a report source (``report.yaml`` is made
when the folder has none: every ``sections/**/*.md``, in name order) and a
``case.yaml`` saying what the case proves and what a user must get — the
exit code, the diagnostics (substrings of one ``path:line: severity:
message`` line, or ``re:`` and a regular expression), and what the outputs
must or must not hold.  The keys are listed in `KEYS`.

Beside every source the test writes files that must never reach an output
(``../secret.png`` and friends, each holding `SECRET`); the contents of
``/etc/passwd``, the absolute path of the source and anything executable must
not reach one either.  Every HTML page is parsed and checked for scripts,
event handlers, dangerous URLs, resources from other hosts and repeated
ids; every PDF for actions, attachments and links other than http(s) and
mailto.  Cases whose only output would be an error are also rendered past
their errors (``force_render``), to show the renderers themselves leak nothing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import struct
import threading
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest
import yaml
from click.testing import CliRunner

from reportgen import build as pipeline
from reportgen.build import BuildOptions
from reportgen.cli import main
from reportgen.errors import Diagnostics
from reportgen.load.reader import load_report
from reportgen.render.editions import select

HOSTILE = Path(__file__).parent / "hostile"
CASES = sorted(p.name for p in HOSTILE.iterdir() if (p / "case.yaml").is_file())

SECRET = "SECRET-9c41e7-not-for-publication"
"""Held by every file written beside a source; no output may ever contain it."""
SECRET_SIZE = (7, 13)
"""Pixel size of ``secret.png``, to recognise it among a PDF's images."""
PASSWD = "root:x:0:0"
"""The first line of /etc/passwd, which no output may contain."""

KEYS = {
    "about": "what the case proves (required)",
    "formats": "outputs to build, as for --format (default html)",
    "edition": "draft or public (default draft)",
    "manifest": "keys merged into the report.yaml made for the case",
    "symlinks": "link path in the source → where it points",
    "fifos": "paths in the source made named pipes",
    "expect_exit": "exit code of build and check (required)",
    "expect_messages": "each must match one line of the build's output",
    "unexpected_messages": "none may occur anywhere in the build's output",
    "expect_in_outputs": "output file (relative to --out) → substrings it must hold",
    "forbidden_in_outputs": "substrings no output file may hold as written (besides the secret, passwd, source path)",
    "pdf_metadata": "PDF metadata key (Title, Author…) → exact value",
    "same_output_as": "another case whose HTML pages these must equal byte for byte",
    "raw": "source file → {starts, contains, not_ends} hex bytes it must have, so the case tests what it says",
    "force_render": "formats to render past the errors, then check those outputs too",
    "check": "false when `reportgen check` cannot see the problem (render-time only)",
}

DEFAULT_MANIFEST = {"title": "测试报告", "year": 2026, "language": "zh-CN", "organisation": "测试社区"}
TIMEOUT = 180
"""Seconds a build of one case may take before it counts as hung."""


@dataclass
class Case:
    name: str
    about: str
    expect_exit: int
    formats: str = "html"
    edition: str = "draft"
    manifest: dict = field(default_factory=dict)
    symlinks: dict = field(default_factory=dict)
    fifos: list = field(default_factory=list)
    expect_messages: list = field(default_factory=list)
    unexpected_messages: list = field(default_factory=list)
    expect_in_outputs: dict = field(default_factory=dict)
    forbidden_in_outputs: list = field(default_factory=list)
    pdf_metadata: dict = field(default_factory=dict)
    same_output_as: str | None = None
    raw: dict = field(default_factory=dict)
    force_render: str | None = None
    check: bool = True


def load_case(name: str) -> Case:
    data = yaml.safe_load((HOSTILE / name / "case.yaml").read_text(encoding="utf-8"))
    return Case(name=name, **data)


@dataclass
class Built:
    case: Case
    source: Path
    out: Path
    exit_code: int
    output: str

    @property
    def forbidden(self) -> list[str]:
        """What no output may hold in any form, a PDF's text layer, metadata and links included."""
        return [SECRET, PASSWD, str(self.source.parent.resolve())]


# --- staging and building -------------------------------------------------------------------


def stage(case: Case, work: Path) -> Path:
    """The case's source in ``work/src``, with the secret files beside it."""
    _write_secrets(work)
    source = work / "src"
    shutil.copytree(HOSTILE / case.name, source, symlinks=True, ignore=shutil.ignore_patterns("case.yaml"))
    for link, target in case.symlinks.items():
        (source / link).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, source / link)
    for rel in case.fifos:
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(source / rel)
    if not (source / "report.yaml").exists():
        sections = sorted(p.relative_to(source).as_posix() for p in (source / "sections").rglob("*.md"))
        manifest = {**DEFAULT_MANIFEST, "sections": sections, **case.manifest}
        (source / "report.yaml").write_text(
            yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return source


def _write_secrets(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / "secret.png").write_bytes(secret_png())
    (work / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    (work / "secret.md").write_text(f"# {SECRET}\n\n{SECRET}\n", encoding="utf-8")
    (work / "secret.csv").write_text(f"名称,数值\n{SECRET},1\n", encoding="utf-8")


def secret_png() -> bytes:
    """A valid 7×13 PNG whose text chunk holds `SECRET`, so a copy of it is found byte for byte."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    width, height = SECRET_SIZE
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress((b"\x00" + b"\xc0\x10\x10" * width) * height)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + SECRET.encode())
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def invoke(*args) -> tuple[int, str]:
    """Run the CLI in-process; an exception (a traceback for a user) fails the test, so does a hang."""
    outcome: dict = {}

    def run():
        try:
            result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
            outcome["result"] = (result.exit_code, result.output)
        except BaseException as error:  # re-raised in the test's thread below
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(TIMEOUT)
    assert not worker.is_alive(), f"reportgen {' '.join(map(str, args))} did not finish within {TIMEOUT} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def build_case(case: Case, work: Path) -> Built:
    source = stage(case, work)
    out = work / "out"
    code, text = invoke("build", source, "--out", out, "--format", case.formats, "--edition", case.edition)
    return Built(case, source, out, code, text)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each case built once for all the tests of this module."""
    done: dict[str, Built] = {}

    def get(name: str) -> Built:
        if name not in done:
            done[name] = build_case(load_case(name), tmp_path_factory.mktemp(name))
        return done[name]

    return get


# --- the corpus itself ----------------------------------------------------------------------


def test_corpus_cases_are_well_formed():
    assert len(CASES) >= 30
    for name in CASES:
        data = yaml.safe_load((HOSTILE / name / "case.yaml").read_text(encoding="utf-8"))
        assert set(data) <= set(KEYS), f"{name}: unknown keys {set(data) - set(KEYS)}"
        assert data.get("about") and data.get("expect_exit") in (0, 1), name
        # A failing case must say what the user is told.
        assert data.get("expect_messages") or data["expect_exit"] == 0, name
        if data.get("same_output_as"):
            assert data["same_output_as"] in CASES, name


# --- what the user is told ------------------------------------------------------------------


DIAGNOSTIC = re.compile(
    r"^(?P<path>[^\s:][^:]*?)(?::(?P<line>\d+)(?::\d+)?)?: (?P<severity>error|warning): (?P<message>.+)$"
)


def matches(expected: str, line: str) -> bool:
    if expected.startswith("re:"):
        return re.search(expected[3:], line) is not None
    return expected in line


@pytest.mark.parametrize("name", CASES)
def test_build_exits_and_explains(built, name):
    case_built = built(name)
    case, text = case_built.case, case_built.output
    assert "Traceback" not in text
    assert case_built.exit_code == case.expect_exit, text
    lines = text.splitlines()
    for expected in case.expect_messages:
        assert any(matches(expected, line) for line in lines), f"{name}: no line matches {expected!r} in:\n{text}"
    for unexpected in case.unexpected_messages:
        assert not any(matches(unexpected, line) for line in lines), f"{name}: {unexpected!r} in:\n{text}"
    for line in lines:
        if ": error: " in line or ": warning: " in line:
            assert DIAGNOSTIC.match(line), f"not a 'path:line: severity: message' diagnostic: {line!r}"


@pytest.mark.parametrize("name", [n for n in CASES if load_case(n).check])
def test_check_agrees_with_build(tmp_path, name):
    """`reportgen check` finds the same problems without rendering anything."""
    case = load_case(name)
    source = stage(case, tmp_path)
    code, text = invoke("check", source)
    assert "Traceback" not in text
    assert code == case.expect_exit, text
    for expected in case.expect_messages:
        assert any(matches(expected, line) for line in text.splitlines()), f"{name}: {expected!r} not in:\n{text}"
    assert not (source / "build").exists()


@pytest.mark.parametrize("name", [n for n in CASES if load_case(n).raw])
def test_byte_level_fixtures_are_intact(name):
    """An editor or checkout that normalised these files would make their case prove nothing."""
    for rel, want in load_case(name).raw.items():
        data = (HOSTILE / name / rel).read_bytes()
        if "starts" in want:
            assert data.startswith(bytes.fromhex(want["starts"])), rel
        for piece in want.get("contains", []):
            assert bytes.fromhex(piece) in data, rel
        if "not_ends" in want:
            assert not data.endswith(bytes.fromhex(want["not_ends"])), rel


# --- what the outputs hold ------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_outputs_hold_nothing_forbidden(built, name):
    case_built = built(name)
    case, out = case_built.case, case_built.out
    assert not stale_files(out), f"temporary files left behind: {stale_files(out)}"
    if case_built.exit_code:
        assert not any((out / name).exists() for name in ("report.pdf", "html", "dashboard")), (
            "a failed build wrote outputs"
        )
        return
    # Whatever the case expects, outputs that were written must be safe.
    assert_outputs_safe(out, case_built.forbidden, case.forbidden_in_outputs)
    assert case.expect_exit == 0, "the build succeeded where it must fail (see test_build_exits_and_explains)"
    expected_outputs = {
        "pdf": out / "report.pdf",
        "html": out / "html" / "index.html",
        "dashboard": out / "dashboard" / "index.html",
    }
    for fmt in case.formats.split(","):
        assert expected_outputs[fmt].is_file(), f"{fmt} not written"
    for rel, pieces in case.expect_in_outputs.items():
        text = (out / rel).read_text(encoding="utf-8")
        for piece in pieces:
            assert piece in text, f"{rel} lacks {piece!r}"
    if case.pdf_metadata:
        metadata = pypdf.PdfReader(out / "report.pdf").metadata
        for key, value in case.pdf_metadata.items():
            assert metadata.get(f"/{key}") == value, f"PDF {key}: {metadata.get(f'/{key}')!r}"


@pytest.mark.parametrize("name", [n for n in CASES if load_case(n).force_render])
def test_renderers_leak_nothing_even_past_errors(tmp_path, name):
    """Render and write the outputs as if the errors were warnings: still nothing from outside."""
    case = load_case(name)
    source = stage(case, tmp_path)
    out = tmp_path / "forced"
    diags = Diagnostics()
    report = load_report(source, diags)
    assert report is not None, [str(d) for d in diags.items]
    options = BuildOptions(source=source, out=out, formats=tuple(case.force_render.split(",")))
    edition = select(report, options.edition, diags)
    figures = pipeline.draw_figures(report, edition, None)
    for commit in pipeline.render_outputs(report, edition, figures, options, diags, pipeline.SilentProgress()):
        commit()
    assert_outputs_safe(out, [SECRET, PASSWD, str(tmp_path.resolve())], case.forbidden_in_outputs)


@pytest.mark.parametrize("name", [n for n in CASES if load_case(n).same_output_as])
def test_same_output_as_the_clean_source(built, name):
    dirty, clean = built(name), built(load_case(name).same_output_as)
    assert dirty.exit_code == clean.exit_code == 0
    dirty_source = sorted(p.read_bytes() for p in (dirty.source / "sections").rglob("*.md"))
    clean_source = sorted(p.read_bytes() for p in (clean.source / "sections").rglob("*.md"))
    assert dirty_source != clean_source, "the two sources are the same bytes; the case proves nothing"
    pages = sorted(p.relative_to(clean.out / "html") for p in (clean.out / "html").glob("*.html"))
    assert pages == sorted(p.relative_to(dirty.out / "html") for p in (dirty.out / "html").glob("*.html"))
    for page in pages:
        assert (dirty.out / "html" / page).read_bytes() == (clean.out / "html" / page).read_bytes(), page


def stale_files(out: Path) -> list[str]:
    if not out.exists():
        return []
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.name.endswith((".tmp", ".old")))


def assert_outputs_safe(out: Path, forbidden: list[str], markup: list[str] = ()) -> None:
    """No output holds a forbidden string; every page and PDF passes its structural checks.

    ``forbidden`` is searched everywhere, a PDF's text layer, metadata and
    links included; ``markup`` only in the published files as written (a PDF
    may well show ``<script>`` as text: that is the text the author wrote;
    the build's own caches in ``.cache/`` keep titles as JSON text).
    """
    problems = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        data = path.read_bytes()
        written = data.decode("utf-8", errors="replace")
        texts = [written]
        if path.suffix == ".pdf":
            texts.append(pdf_text(data))
            problems += [f"{rel}: {p}" for p in pdf_problems(data)]
        elif path.suffix == ".html":
            problems += [f"{rel}: {p}" for p in page_problems(written)]
        problems += [f"{rel}: holds {piece!r}" for piece in forbidden if any(piece in text for text in texts)]
        if not rel.startswith(".cache/"):
            problems += [f"{rel}: holds {piece!r}" for piece in markup if piece in written]
    assert not problems, "\n".join(problems)


# --- HTML pages -----------------------------------------------------------------------------

URL_ATTRIBUTES = {
    "href",
    "src",
    "xlink:href",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "ping",
    "srcset",
    "cite",
    "longdesc",
    "manifest",
}
"""Attributes holding a URL a browser may follow or load."""
LOADED = {
    ("img", "src"),
    ("script", "src"),
    ("link", "href"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("use", "href"),
    ("use", "xlink:href"),
    ("image", "href"),
    ("image", "xlink:href"),
    ("img", "srcset"),
    ("input", "src"),
    ("track", "src"),
}
"""(tag, attribute) pairs the browser loads by itself, without a click."""
EMBEDDING = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
RASTER_DATA = re.compile(r"^data:image/(png|jpeg|gif|webp)[;,]")
CONTROL = re.compile(r"[\x00-\x20\x7f]+")


class _Page(HTMLParser):
    """Elements, attributes and inline scripts of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        self._in_script = tag == "script" and "src" not in attributes
        if self._in_script:
            self.inline_scripts.append("")

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts[-1] += data


def page_problems(text: str) -> list[str]:
    page = _Page()
    page.feed(text)
    page.close()
    problems: list[str] = []
    ids: dict[str, int] = {}
    csp = ""
    for tag, attrs in page.elements:
        if tag in EMBEDDING:
            problems.append(f"<{tag}> element")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            csp = attrs.get("content") or ""
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            problems.append("<meta http-equiv=refresh>")
        if "id" in attrs:
            ids[attrs["id"]] = ids.get(attrs["id"], 0) + 1
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=…> event handler")
            if name in URL_ATTRIBUTES and value is not None:
                problems += _url_problems(tag, name, value, attrs)
            if name == "style" and value and re.search(r"url\s*\(\s*['\"]?(?!#)", value, re.I):
                problems.append(f"<{tag} style> loads {value!r}")
    problems += [f"id {i!r} appears {n} times" for i, n in ids.items() if n > 1]
    if not csp:
        problems.append("no Content-Security-Policy")
    for script in page.inline_scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        if f"'sha256-{digest}'" not in csp:
            problems.append(f"inline <script> not allowed by the page's policy: {script[:60]!r}")
    return problems


def _url_problems(tag: str, name: str, value: str, attrs: dict) -> list[str]:
    url = CONTROL.sub("", value).lower()
    scheme = url.split(":", 1)[0] if re.match(r"^[a-z][a-z0-9+.-]*:", url) else ""
    problems = []
    if scheme in ("javascript", "vbscript", "file", "livescript"):
        problems.append(f"<{tag} {name}={value!r}>")
    elif scheme == "data":
        icon = tag == "link" and url == "data:,"
        image = tag == "img" and name == "src" and RASTER_DATA.match(url)
        if not (icon or image):
            problems.append(f"<{tag} {name}={value[:40]!r}>")
    if (tag, name) in LOADED and (scheme in ("http", "https") or url.startswith("//")):
        if not (tag == "link" and (attrs.get("rel") or "") in ("canonical", "alternate")):
            problems.append(f"<{tag} {name}={value!r}> loads from another host")
    return problems


# --- PDFs -------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """Text layer, metadata and link targets of a PDF, as one string to search."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    parts = [page.extract_text() or "" for page in reader.pages]
    parts += [str(v) for v in (reader.metadata or {}).values()]
    parts += [uri for uri, _ in _pdf_links(reader)]
    return "\n".join(parts)


def pdf_problems(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    problems = []
    root = reader.trailer["/Root"]
    for key in ("/OpenAction", "/AA"):
        if key in root:
            problems.append(f"document {key}")
    names = root.get("/Names")
    if names is not None:
        for key in ("/JavaScript", "/EmbeddedFiles"):
            if key in names.get_object():
                problems.append(f"document {key}")
    for uri, subtype in _pdf_links(reader):
        if subtype == "/FileAttachment":
            problems.append("file attachment annotation")
        elif not re.match(r"^(https?|mailto):", uri, re.I):
            problems.append(f"link to {uri!r}")
    for number, page in enumerate(reader.pages, start=1):
        for image in page.images:
            if image.image is not None and image.image.size == SECRET_SIZE:
                problems.append(f"page {number} shows the secret image")
    return problems


def _pdf_links(reader: pypdf.PdfReader):
    """(URI or action name, annotation subtype) of every annotation that is not an internal jump."""
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            subtype = annotation.get("/Subtype")
            if subtype == "/FileAttachment":
                yield "", subtype
                continue
            action = annotation.get("/A")
            if action is None:
                continue
            action = action.get_object()
            kind = action.get("/S")
            if kind == "/URI":
                yield str(action.get("/URI")), subtype
            elif kind not in ("/GoTo", None):
                yield f"action {kind}", subtype
