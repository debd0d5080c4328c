"""The benchmark behind ``make bench``: how long builds take, how much memory, against the targets.

It copies the sample report (the repository root) into a temporary folder,
makes copies of it scaled 10× and 50× (every section repeated with its own
file name, ``id``, title and chart titles), and for each size measures, as
separate processes run the way a user runs them:

- ``full``: ``reportgen build`` (PDF, HTML, dashboard) into an empty out folder;
- ``single``: the same with ``--pdf-engine single``, the one-pass render;
- ``no change``: the default build again;
- ``edit → HTML``: one section gets a new paragraph, then ``--format html``;
- ``edit → all``: one section gets a new paragraph, then the full build;
- ``edit → HTML, warm``: in one long-running process, as ``reportgen serve``.

At 1× it also times the peer — MkDocs-Material with mkdocs-with-pdf, set up
from PyPI in ``bench/.peer-venv`` on first use — against a cold reportgen
build of the same Markdown (the sample without its chart blocks, which MkDocs
cannot draw), and the start-up of ``reportgen --help`` and ``reportgen status``.

The commands compared with each other run alternately within one run (one
round runs each once; rounds repeat), so a slower minute of the machine
falls on all of them.  Each number printed is the median over the rounds.

Memory is the peak of the whole process tree of a command: the largest sum
of PSS (proportional set size, so pages shared by forked workers count once)
over the tree, sampled from /proc every 0.5 s, and never less than the exact
peak RSS of its largest single process, which the kernel reports at exit
(``wait4``).  Run ``bench/run.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
"""The repository root, which is also the sample report's source."""

SOURCE_PARTS = ("report.yaml", "sections", "assets", "templates")
"""What of the sample a copy takes: the manifest and the folders sections read from."""

SIZES = (1, 10)
FULL_SIZES = (1, 10, 50)
ROUNDS = {1: 3, 10: 1, 50: 1}
"""Rounds per size by default; the 50× report costs minutes per build, so only ``--full`` runs it."""

PEER_VENV = Path(__file__).resolve().parent / ".peer-venv"
PEER_PACKAGES = ("mkdocs", "mkdocs-material", "mkdocs-with-pdf", "weasyprint")
"""The peer a user would otherwise pick, installed from PyPI into its own environment."""

SAMPLE_EVERY = 0.5
"""Seconds between two samples of a process tree's memory.  Reading every process's
``smaps_rollup`` takes its memory map's lock: every 50 ms it made the measured builds
10–25 % slower (1–2.7 s of a 9 s cold build, more for the book engine's several
processes).  The exact peak of the largest process (``wait4``) is the floor."""

MB = 1_000_000

TARGETS = {
    "full_vs_peer": 0.6,
    "full_vs_single": 1.0,
    "full_vs_single_10x": 0.8,
    "edit_full_vs_full": 0.25,
    "nochange_vs_full": 0.05,
    "edit_html_seconds": 0.5,
    "preview_html_seconds": 0.25,
    "peak_memory_mb": 1500,
    "help_seconds": 0.3,
    "status_seconds": 0.6,
}
"""The limits of issue 16."""

# One warm process, as ``reportgen serve`` is: edit, rebuild the HTML edition, time only the rebuild.
PREVIEW = """
import json, sys, time
from pathlib import Path
from reportgen.build import BuildOptions, build
from reportgen.load.reader import ParseCache

source, out, section, rounds = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
options = BuildOptions(source=source, out=out, formats=("html",))
parsed = ParseCache()  # as the preview keeps one, told of each save by its watcher
build(options, parse_cache=parsed)
times = []
for i in range(rounds):
    with section.open("a", encoding="utf-8") as handle:
        handle.write("\\n预览服务器计时追加的段落，第 %d 次。\\n" % (i + 1))
    start = time.perf_counter()
    parsed.changed({str(section.resolve())})
    ok = build(options, parse_cache=parsed).ok
    times.append(time.perf_counter() - start if ok else None)
print(json.dumps(times))
"""

VERSIONS = """
import json, sys, weasyprint, pydyf
from weasyprint.text.ffi import pango
import reportgen
number = pango.pango_version()  # major * 10000 + minor * 100 + micro
print(json.dumps({"python": sys.version.split()[0], "weasyprint": weasyprint.__version__,
                  "pydyf": pydyf.__version__, "pango": f"{number // 10000}.{number // 100 % 100}.{number % 100}",
                  "reportgen": reportgen.__version__}))
"""


# --- making the scaled copies -------------------------------------------------------------


def make_copy(sample: Path, scale: int, dest: Path) -> Path:
    """``dest`` becomes a copy of ``sample`` with every section repeated ``scale`` times."""
    dest.mkdir(parents=True)
    for name in SOURCE_PARTS:
        part = sample / name
        if part.is_dir():
            shutil.copytree(part, dest / name)
        elif part.is_file():
            shutil.copy2(part, dest / name)
    manifest = yaml.safe_load((sample / "report.yaml").read_text(encoding="utf-8"))
    listed = list(manifest["sections"])
    paths = list(listed)
    for copy in range(2, scale + 1):
        for rel in listed:
            paths.append(replicate(dest, rel, copy))
    manifest["sections"] = paths
    (dest / "report.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dest


def replicate(dest: Path, rel: str, copy: int) -> str:
    """Write copy number ``copy`` of section ``rel`` beside it; return its path.

    The copy gets its own file name and front matter ``id`` (so its page and
    anchors are its own), a title saying which copy it is, and chart titles of
    its own (so its charts are drawn, not taken from the first copy's cache).
    Links keep pointing at the first copy's files, which exist.
    """
    original = dest / rel
    new_rel = str(Path(rel).with_name(f"x{copy:02d}-{Path(rel).name}").as_posix())
    sid = Path(new_rel).stem
    tag = f" · 副本 {copy}"
    text = original.read_text(encoding="utf-8")
    front, body = _split_front(text)
    front = [line for line in front if not line.startswith("id:")]
    front = [line + tag if line.startswith("title:") and not line.rstrip().endswith(":") else line for line in front]
    lines = ["---", f"id: {sid}", *front, "---"] + _retitle(body, tag)
    (dest / new_rel).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return new_rel


def _split_front(text: str) -> tuple[list[str], list[str]]:
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            return lines[1:end], lines[end + 1 :]
    return [], lines


def _retitle(body: list[str], tag: str) -> list[str]:
    """The first level-1 heading and the titles inside chart fences get ``tag``."""
    out, in_chart, titled = [], False, False
    for line in body:
        if line.startswith("```"):
            in_chart = line.strip() == "```chart"
        elif in_chart and line.startswith(("title:", "caption:")):
            line += tag
        elif not titled and line.startswith("# "):
            line, titled = line + tag, True
        out.append(line)
    return out


def section_to_edit(source: Path) -> Path:
    """A section with real text nearest the middle of the report, so the pages after it move."""
    listed = yaml.safe_load((source / "report.yaml").read_text(encoding="utf-8"))["sections"]
    middle = len(listed) // 2
    order = sorted(range(len(listed)), key=lambda i: abs(i - middle))
    return next(source / listed[i] for i in order if (source / listed[i]).stat().st_size > 1000)


def append_paragraph(path: Path, number: int) -> None:
    """The edit measured: one new paragraph at the end of a section."""
    paragraph = (
        f"\n基准测试追加的段落（第 {number} 次修改）：星火社在这一年里继续完善年度报告的编写流程，"
        "各章节负责人在截止日期前反复修改、审核并定稿，每一次保存都应当很快出现在预览里。\n"
    )
    with path.open("a", encoding="utf-8") as handle:
        handle.write(paragraph)


# --- measuring one command -------------------------------------------------------------------


@dataclass
class Sample:
    """One run of one command."""

    wall: float
    """Seconds from spawning the process to its exit."""
    peak_mb: float
    """Peak memory of the process tree, MB (see the module docstring)."""
    ok: bool
    error: str = ""
    cpu: float = 0.0
    """CPU seconds (user + system) of the process and the children it waited for: on a busy
    machine the wall time grows with the load, this much less."""


def measure(command: list[str], log: Path) -> Sample:
    """Run ``command`` (output to ``log``) and measure its time and its tree's peak memory."""
    with log.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        sampler = TreeMemory(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
    peak = max(sampler.peak_kb, usage.ru_maxrss) * 1024 / MB
    ok = process.returncode == 0
    error = "" if ok else _tail(log)
    return Sample(wall, peak, ok, error, usage.ru_utime + usage.ru_stime)


class TreeMemory(threading.Thread):
    """Samples the summed PSS of a process and all its descendants until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in _tree(self.pid)))
            self._stop_event.wait(SAMPLE_EVERY)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from each process's parent id in /proc/PID/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path("/proc", entry.name, "stat").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(b")", 1)[1].split()[1])  # the name in (…) may hold spaces
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _pss_kb(pid: int) -> int:
    try:
        text = Path("/proc", str(pid), "smaps_rollup").read_text()
    except OSError:  # gone already, or a kernel without smaps_rollup
        return 0
    match = re.search(r"^Pss:\s+(\d+)", text, re.M)
    return int(match.group(1)) if match else 0


def _tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# --- the peer: MkDocs-Material + mkdocs-with-pdf ----------------------------------------------


def without_charts(source: Path) -> None:
    """Drop every ```chart block from the sections of ``source`` (MkDocs cannot draw them)."""
    for path in (source / "sections").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"^```chart\n.*?^```\n?", "", text, flags=re.S | re.M), encoding="utf-8")


def peer_mkdocs(source: Path, dest: Path) -> Path:
    """An mkdocs.yml beside (not inside) ``source`` that builds its sections, in manifest order."""
    manifest = yaml.safe_load((source / "report.yaml").read_text(encoding="utf-8"))
    config = {
        "site_name": manifest["title"],
        "docs_dir": str(source),
        "site_dir": str(dest / "site"),
        "nav": list(manifest["sections"]),
        "theme": {"name": "material", "language": "zh"},
        "plugins": [
            "search",
            {
                "with-pdf": {
                    "output_path": "pdf/report.pdf",
                    "cover_title": manifest["title"],
                    "author": manifest.get("organisation", ""),
                }
            },
        ],
        "exclude_docs": "build/\ntemplates/\n",
    }
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def peer_ready(say) -> Path | None:
    """The peer's ``mkdocs`` executable, installing it into `PEER_VENV` first if needed."""
    mkdocs = PEER_VENV / "bin" / "mkdocs"
    if mkdocs.is_file():
        return mkdocs
    say(f"setting up the peer in {PEER_VENV}: pip install {' '.join(PEER_PACKAGES)}")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(PEER_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True
        )
    except (OSError, subprocess.CalledProcessError) as error:
        say(f"bench: the peer could not be set up ({error}); its target is not measured")
        return None
    return mkdocs if mkdocs.is_file() else None


# --- one size ---------------------------------------------------------------------------------

STEPS = ("full", "single", "nochange", "edit_html", "edit_full", "preview_html", "peer_own", "peer", "help", "status")
LABELS = {
    "full": "full build, cold",
    "single": "full build, cold, --pdf-engine single",
    "nochange": "rebuild, no change",
    "edit_html": "edit → --format html",
    "edit_full": "edit → full build",
    "preview_html": "edit → HTML, warm (serve)",
    "peer_own": "full build, cold, without charts",
    "peer": "MkDocs-Material + with-pdf, same Markdown",
    "help": "reportgen --help",
    "status": "reportgen status",
}
"""Short names of the steps, as the tables show them (docs/benchmarks.md explains each)."""
SHORT = {"single": "single", "full": "cold", "peer": "MkDocs"}
"""What the ratio column calls the step a ratio is taken against."""


@dataclass
class SizeResult:
    """Everything measured for one size of the report."""

    scale: int
    sections: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    pages: dict[str, int | None] = field(default_factory=dict)
    """Pages of the PDF of ``full`` and of ``single``."""
    pdf_mb: dict[str, float] = field(default_factory=dict)
    site_mb: float | None = None
    preview: list[float] = field(default_factory=list)

    def add(self, step: str, sample: Sample) -> None:
        self.samples.setdefault(step, []).append(sample)

    def median(self, step: str) -> float | None:
        if step == "preview_html":
            return statistics.median(self.preview) if self.preview else None
        walls = [s.wall for s in self.samples.get(step, []) if s.ok]
        return statistics.median(walls) if walls else None

    def peak(self, step: str) -> float | None:
        peaks = [s.peak_mb for s in self.samples.get(step, []) if s.ok]
        return max(peaks) if peaks else None

    def failures(self) -> list[tuple[str, str]]:
        return [(step, s.error) for step, runs in self.samples.items() for s in runs if not s.ok]


class Bench:
    """Runs every step of one size in rounds and collects the samples."""

    def __init__(self, work: Path, scale: int, rounds: int, say, peer: Path | None = None):
        self.work = work / f"x{scale}"
        self.scale = scale
        self.rounds = rounds
        self.say = say
        self.peer = peer
        self.source = make_copy(ROOT, scale, self.work / "src")
        self.out = self.work / "out"
        self.out_html = self.work / "out-html"
        self.edited = section_to_edit(self.source)
        self.edits = 0
        listed = yaml.safe_load((self.source / "report.yaml").read_text(encoding="utf-8"))["sections"]
        self.result = SizeResult(scale, len(listed))

    def run(self) -> SizeResult:
        if self.peer is not None:
            self.plain = make_copy(ROOT, 1, self.work / "plain")
            without_charts(self.plain)
            self.peer_config = peer_mkdocs(self.plain, self.work / "peer")
        self._step("edit_html", self._reportgen(self.out_html, "html"), fresh=self.out_html)  # warms the OS caches
        self.result.samples.pop("edit_html")
        for number in range(1, self.rounds + 1):
            # Alternate which of the compared builds goes first.
            pairs = [("full", "single")] + ([("peer_own", "peer")] if self.peer is not None else [])
            for pair in pairs:
                for step in pair if number % 2 else pair[::-1]:
                    self._cold(step)
            self._step("nochange", self._reportgen(self.out))
            self._edit()
            self._step("edit_html", self._reportgen(self.out_html, "html"))
            self._edit()
            self._step("edit_full", self._reportgen(self.out))
            if self.scale == 1:
                for _ in range(3):
                    self._step("help", [str(Path(sys.executable).with_name("reportgen")), "--help"])
                    self._step("status", [str(Path(sys.executable).with_name("reportgen")), "status", str(self.source)])
        self._preview()
        return self.result

    def _reportgen(self, out: Path, formats: str | None = None, source: Path | None = None) -> list[str]:
        command = [
            str(Path(sys.executable).with_name("reportgen")),
            "build",
            str(source or self.source),
            "--out",
            str(out),
            "--quiet",
        ]
        return command + (["--format", formats] if formats else [])

    def _step(self, step: str, command: list[str], fresh: Path | None = None) -> Sample:
        if fresh is not None:  # an empty out folder, and no cache left anywhere in the source
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.rmtree(self.source / "build", ignore_errors=True)
        sample = measure(command, self.work / f"{step}.log")
        self.result.add(step, sample)
        state = f"{sample.wall:7.2f} s  {sample.peak_mb:6.0f} MB  {sample.cpu:6.2f} CPU-s" if sample.ok else "FAILED"
        self.say(f"  {self.scale:>2}×  {LABELS[step]:<46} {state}")
        return sample

    def _cold(self, step: str) -> None:
        if step == "peer":
            self._step(
                "peer",
                [str(self.peer), "build", "--quiet", "-f", str(self.peer_config)],
                fresh=self.work / "peer" / "site",
            )
            return
        if step == "peer_own":
            self._step(
                "peer_own", self._reportgen(self.work / "out-plain", source=self.plain), fresh=self.work / "out-plain"
            )
            return
        out = self.out if step == "full" else self.work / "out-single"
        command = self._reportgen(out) + (["--pdf-engine", "single"] if step == "single" else [])
        if self._step(step, command, fresh=out).ok:
            self._record(step, out / "report.pdf")
            if step == "full":
                site = self.out / "html"
                self.result.site_mb = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / MB

    def _record(self, step: str, pdf: Path) -> None:
        self.result.pages[step] = page_count(pdf)
        self.result.pdf_mb[step] = pdf.stat().st_size / MB

    def _edit(self) -> None:
        self.edits += 1
        append_paragraph(self.edited, self.edits)

    def _preview(self) -> None:
        out = self.work / "out-preview"
        done = subprocess.run(
            [sys.executable, "-c", PREVIEW, str(self.source), str(out), str(self.edited), str(max(self.rounds, 3))],
            capture_output=True,
            text=True,
        )
        times = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else []
        self.result.preview = [t for t in times if t is not None]
        shown = f"{statistics.median(self.result.preview):7.2f} s" if self.result.preview else "FAILED"
        self.say(f"  {self.scale:>2}×  {LABELS['preview_html']:<46} {shown}")


def page_count(pdf: Path) -> int | None:
    if not pdf.is_file():
        return None
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


# --- the verdict -----------------------------------------------------------------------------


@dataclass
class Verdict:
    target: str
    measured: str
    limit: str
    passed: bool | None
    """None when the run did not measure it."""


def verdicts(results: dict[int, SizeResult]) -> list[Verdict]:
    one = results.get(1)
    med = (lambda step: one.median(step)) if one else (lambda step: None)
    full = med("full")
    out = [
        _ratio(
            "1. cold full build vs MkDocs-Material + with-pdf (sample without charts)",
            med("peer_own"),
            med("peer"),
            TARGETS["full_vs_peer"],
        )
    ]
    for scale, result in sorted(results.items()):
        out.append(
            _ratio(
                f"2. default engine vs --pdf-engine single, cold full build, {scale}×",
                result.median("full"),
                result.median("single"),
                TARGETS["full_vs_single"],
            )
        )
    ten = results.get(10)
    out.append(
        _ratio(
            "2. … at 10×",
            ten.median("full") if ten else None,
            ten.median("single") if ten else None,
            TARGETS["full_vs_single_10x"],
        )
    )
    out.append(
        _ratio(
            "3. one-section edit → full build vs cold full build", med("edit_full"), full, TARGETS["edit_full_vs_full"]
        )
    )
    out.append(
        _ratio("3. rebuild with no change vs cold full build", med("nochange"), full, TARGETS["nochange_vs_full"])
    )
    out.append(
        _seconds("3. one-section edit → HTML edition (CLI process)", med("edit_html"), TARGETS["edit_html_seconds"])
    )
    out.append(
        _seconds(
            "3. one-section edit → HTML edition, warm (serve)", med("preview_html"), TARGETS["preview_html_seconds"]
        )
    )
    out.append(_memory(results))
    out.append(_seconds("5. reportgen --help (process)", med("help"), TARGETS["help_seconds"]))
    out.append(_seconds("5. reportgen status on the sample (process)", med("status"), TARGETS["status_seconds"]))
    return out


def _ratio(name: str, value: float | None, base: float | None, limit: float) -> Verdict:
    if value is None or not base:
        return Verdict(name, "not measured", f"≤ {limit}×", None)
    ratio = value / base
    return Verdict(name, f"{ratio:.2f}× ({value:.2f} s / {base:.2f} s)", f"≤ {limit}×", ratio <= limit)


def _seconds(name: str, value: float | None, limit: float) -> Verdict:
    return Verdict(name, _s(value), f"≤ {limit} s", None if value is None else value <= limit)


def _memory(results: dict[int, SizeResult]) -> Verdict:
    limit = f"≤ {TARGETS['peak_memory_mb'] / 1000:.1f} GB"
    name = "4. peak memory of a build at 50×"
    if 50 not in results:
        return Verdict(name, "not measured (50× not run; --full runs it)", limit, None)
    peaks = [p for step in ("full", "nochange", "edit_full") if (p := results[50].peak(step)) is not None]
    if not peaks:
        return Verdict(name, "not measured", limit, None)
    return Verdict(name, f"{max(peaks):,.0f} MB", limit, max(peaks) <= TARGETS["peak_memory_mb"])


def _s(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.2f} s"


# --- tables ---------------------------------------------------------------------------------

COLUMNS = ("size", "step", "runs", "median s", "ratio", "peak MB", "pages", "PDF MB", "site MB")


def rows(results: dict[int, SizeResult]) -> list[tuple[str, ...]]:
    table = []
    for scale, result in sorted(results.items()):
        size = f"{scale}×, {result.sections} sections"
        for step in STEPS:
            median = result.median(step)
            runs = len(result.preview) if step == "preview_html" else len(result.samples.get(step, []))
            if not runs:
                continue
            base_step = {"full": "single", "nochange": "full", "edit_full": "full", "peer_own": "peer"}.get(step)
            base = result.median(base_step) if base_step else None
            ratio = f"{median / base:.2f}× {SHORT[base_step]}" if median and base else ""
            peak = result.peak(step)
            pages = result.pages.get(step)
            pdf = result.pdf_mb.get(step)
            table.append(
                (
                    size,
                    LABELS[step],
                    str(runs),
                    "FAILED" if median is None else f"{median:.2f}",
                    ratio,
                    "" if peak is None else f"{peak:,.0f}",
                    "" if pages is None else str(pages),
                    "" if pdf is None else f"{pdf:.1f}",
                    f"{result.site_mb:.1f}" if step == "full" and result.site_mb is not None else "",
                )
            )
            size = ""
    return table


def print_tables(results: dict[int, SizeResult], verdict: list[Verdict], machine: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 150)
    table = Table(title="reportgen benchmark (medians)")
    for i, name in enumerate(COLUMNS):
        table.add_column(name, justify="right" if i >= 2 else "left", no_wrap=i < 2)
    for row in rows(results):
        if row[0] and table.row_count:
            table.add_section()
        table.add_row(*row)
    console.print(table)
    targets = Table(title="targets (issue 16)")
    for name in ("target", "measured", "limit", "result"):
        targets.add_column(name)
    for v in verdict:
        targets.add_row(v.target, v.measured, v.limit, _mark(v.passed, rich=True))
    console.print(targets)
    console.print(f"machine: {machine['summary']}")
    fields = machine["fields"]
    console.print(
        f"load average: {fields['Load average before the run']} before the run, "
        f"{fields.get('Load average after the run', '?')} after it (a busy machine makes every figure slower)"
    )


def markdown(results: dict[int, SizeResult], verdict: list[Verdict], machine: dict, rounds: dict[int, int]) -> str:
    lines = ["# reportgen benchmark run", "", f"- Date: {machine['date']}"]
    lines += [f"- {key}: {value}" for key, value in machine["fields"].items()]
    lines += ["- Rounds: " + ", ".join(f"{s}×: {n}" for s, n in sorted(rounds.items())), ""]
    lines += [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---:" if i >= 2 else "---" for i in range(len(COLUMNS))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results)]
    lines += ["", "| target | measured | limit | result |", "|---|---|---|---|"]
    lines += [f"| {v.target} | {v.measured} | {v.limit} | {_mark(v.passed)} |" for v in verdict]
    return "\n".join(lines) + "\n"


def _mark(passed: bool | None, rich: bool = False) -> str:
    if passed is None:
        return "[dim]n/a[/dim]" if rich else "n/a"
    if rich:
        return "[green]pass[/green]" if passed else "[red]FAIL[/red]"
    return "pass" if passed else "**FAIL**"


# --- the machine --------------------------------------------------------------------------------


def machine() -> dict:
    versions = subprocess.run([sys.executable, "-c", VERSIONS], capture_output=True, text=True)
    soft = json.loads(versions.stdout) if versions.returncode == 0 else {}
    cpu = _first(Path("/proc/cpuinfo"), r"^model name\s*:\s*(.+)$") or platform.processor() or "unknown"
    memory = _first(Path("/proc/meminfo"), r"^MemTotal:\s*(\d+) kB")
    os_name = _first(Path("/etc/os-release"), r'^PRETTY_NAME="?([^"\n]+)') or platform.system()
    fields = {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "Memory": f"{int(memory) / 1024 / 1024:.1f} GiB" if memory else "unknown",
        "OS": f"{os_name}, kernel {platform.release()}",
        "Python": soft.get("python", platform.python_version()),
        "WeasyPrint": f"{soft.get('weasyprint', '?')} (pydyf {soft.get('pydyf', '?')}, Pango {soft.get('pango', '?')})",
        "HarfBuzz subsetter": "installed" if _harfbuzz_subset() else "MISSING (PDF builds are far slower)",
        "reportgen": f"{soft.get('reportgen', '?')} at {_revision()}",
        "Load average before the run": _load(),
    }
    summary = f"{fields['CPU']}; {fields['Memory']}; {fields['OS']}; WeasyPrint {fields['WeasyPrint']}"
    return {"fields": fields, "summary": summary, "date": time.strftime("%Y-%m-%d %H:%M %Z")}


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def _first(path: Path, pattern: str) -> str | None:
    try:
        match = re.search(pattern, path.read_text(), re.M)
    except OSError:
        return None
    return match.group(1).strip() if match else None


def _harfbuzz_subset() -> bool:
    import ctypes.util

    return ctypes.util.find_library("harfbuzz-subset") is not None


def _revision() -> str:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    except OSError:
        return "unknown revision"
    return done.stdout.strip() if done.returncode == 0 else "unknown revision"


# --- main ---------------------------------------------------------------------------------------


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time reportgen builds of the sample report and copies scaled 10× and 50×."
    )
    parser.add_argument("--quick", action="store_true", help="1× only, one round (for development)")
    parser.add_argument("--full", action="store_true", help="also 50× (2,000 pages; a quarter of an hour or more)")
    parser.add_argument(
        "--sizes", default=None, help="comma-separated scales, e.g. 1,10 [default: 1,10; --full: 1,10,50]"
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds for every size [default: 1×: 3, else 1]")
    parser.add_argument("--no-peer", action="store_true", help="do not time MkDocs-Material + with-pdf")
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with the copies and outputs")
    args = parser.parse_args(argv)
    default = [1] if args.quick else list(FULL_SIZES if args.full else SIZES)
    args.sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else default
    if any(s < 1 for s in args.sizes):
        parser.error("--sizes: every scale must be 1 or more")
    return args


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    rounds = {s: 1 if args.quick else args.rounds or ROUNDS.get(s, 1) for s in args.sizes}
    info = machine()
    say(f"machine: {info['summary']}")
    # Every step as a user's second run finds it, with the package's bytecode: an editable
    # install compiles none, and with PYTHONDONTWRITEBYTECODE every process would compile
    # reportgen's modules again (~0.1 s of each step).
    compileall.compile_dir(ROOT / "reportgen", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="reportgen-bench-"))
    results: dict[int, SizeResult] = {}
    peer = None if args.no_peer or 1 not in args.sizes else peer_ready(say)
    try:
        for scale in args.sizes:
            say(f"{scale}× the sample: {rounds[scale]} round(s)")
            results[scale] = Bench(work, scale, rounds[scale], say, peer if scale == 1 else None).run()
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    info["fields"]["Load average after the run"] = _load()
    verdict = verdicts(results)
    print_tables(results, verdict, info)
    if args.markdown:
        args.markdown.write_text(markdown(results, verdict, info, rounds), encoding="utf-8")
        say(f"wrote {args.markdown}")
    failures = [(scale, step, error) for scale, r in results.items() for step, error in r.failures()]
    for scale, step, error in failures:
        say(f"\n{scale}× {LABELS[step]} failed:\n{error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
