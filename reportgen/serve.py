"""``reportgen serve``: a preview of the report that follows every save.

The server owns three loops around the build pipeline:

- the *watcher* (watchfiles) sees a save in ``report.yaml``, ``sections/``,
  ``assets/``, ``templates/`` or another folder the manifest lists sections in;
- the *site builder* rebuilds only the HTML edition, in this process (warm
  imports and caches), into ``OUT/site`` (``OUT`` is ``SOURCE/build/preview``
  unless told otherwise) — a failed build writes nothing, so the last good
  site stays served;
- the *print builder* rebuilds the PDF and the dashboard into ``OUT/print`` in
  a child process (so a long typesetting run never slows the next HTML
  rebuild), at most every `PRINT_EVERY` seconds after a change, or at once for
  ``/report.pdf?rebuild=1``.

URLs: the HTML edition at ``/`` (and at ``/html/``, where the dashboard's
links point), the dashboard at ``/dashboard/``, the PDF at ``/report.pdf``.

Every HTML page it serves gets a small script from the server itself
(``/__reportgen__/reload.js``, allowed by the site's Content-Security-Policy
as 'self') that listens to Server-Sent Events on ``/__reportgen__/events``:
the page reloads when a new build is in place, and shows the build's
``path:line: error: …`` diagnostics in an overlay while the sources are
broken.  Only the standard library's HTTP server is used, bound to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import errno
import hashlib
import html
import ipaddress
import json
import mimetypes
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import MappingProxyType
from urllib.parse import parse_qs, unquote, urlsplit

import click

from reportgen.errors import Diagnostics, ReportError, crash_place
from reportgen.load import paths

PRINT_EVERY = 30.0
"""Seconds between two PDF-and-dashboard rebuilds while sources keep changing."""

KEEPALIVE = 15.0
"""Seconds between two comments on an idle event stream, so dead clients are noticed."""

PREFIX = "/__reportgen__/"
"""URL space of the server's own files; no report page can have this name."""

WATCHED = ("report.yaml", "sections", "assets", "templates")
"""Names in the source folder whose changes start a rebuild."""

TICK_MS = 200
MAX_URL = 2048
"""Characters a request's address may have; longer ones get 414 (no page of the site needs more)."""
"""Milliseconds between two looks of a watch at its stop signal; its first look tells it is in place."""

READY_WITHIN = 10.0
"""Seconds a new watch may take to be in place before the preview goes on without waiting."""

TYPES = MappingProxyType(
    {
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".pdf": "application/pdf",
        ".svg": "image/svg+xml",
        ".css": "text/css",
    }
)
"""Content types the standard table may lack (Pagefind needs WebAssembly served as such)."""

# --- the state the builders share with the pages -------------------------------------------


@dataclass
class Channel:
    """One kind of output the pages follow: the HTML edition, or the PDF and dashboard."""

    version: str = ""
    """Changes with every successful build; empty until the first one."""
    building: bool = False
    ok: bool = True
    diagnostics: list[str] = field(default_factory=list)
    """``path:line: error|warning: message`` of the last build when it failed."""
    seconds: float | None = None
    """Duration of the last build."""
    covers: int = -1
    """The batch of source changes the last build started after (see `Preview.changes`)."""

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "building": self.building,
            "ok": self.ok,
            "diagnostics": self.diagnostics,
            "seconds": self.seconds,
        }


class Preview:
    """The source, the output folder, and the state every thread reads under one condition."""

    def __init__(self, source: Path, out: Path, echo=None):
        self.source = source
        self.out = out
        self.echo = echo or (lambda line: click.echo(line, err=True))
        self.changed = threading.Condition()
        """Notified whenever `serial` moves (a build started or ended, the server stops)."""
        self.serial = 0
        self.changes = 0
        """Batches of source changes seen so far; a PDF build covers all up to a number."""
        self.site = Channel()
        self.print = Channel()
        self.stopping = False
        self.language = "zh-CN"
        self._boot = secrets.token_hex(4)
        self._builds = 0
        self.shown_warnings: list[str] = []
        """Warnings of the last HTML build, as printed in the terminal."""

    @property
    def site_out(self) -> Path:
        """Output folder of the HTML builds (the edition is its ``html/``)."""
        return self.out / "site"

    @property
    def print_out(self) -> Path:
        """Output folder of the PDF and dashboard builds.

        Not the HTML builds' folder: the two run at the same time, and a build
        tidies its output folder of temporary files when it starts.
        """
        return self.out / "print"

    @property
    def site_dir(self) -> Path:
        return self.site_out / "html"

    def link_site_beside_dashboard(self) -> None:
        """Put the HTML edition beside the dashboard (``print/html``), so the dashboard links into it."""
        link = self.print_out / "html"
        self.print_out.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink() and not link.exists():
            try:
                link.symlink_to(Path("..") / "site" / "html", target_is_directory=True)
            except OSError:  # no symlinks here: the dashboard is served without links into the edition
                pass

    def update(self, channel: Channel, **values) -> None:
        with self.changed:
            for name, value in values.items():
                setattr(channel, name, value)
            self.serial += 1
            self.changed.notify_all()

    def new_version(self) -> str:
        self._builds += 1
        return f"{self._boot}-{self._builds}"

    def state(self) -> dict:
        """What the pages are told: both channels and the overlay to show (empty when none)."""
        # A failed PDF build from before the latest change may be about a mistake fixed since.
        overlay = overlay_html(self.site, self.print if self.print.covers >= self.changes else Channel(), self.language)
        return {
            "site": self.site.as_dict(),
            "print": self.print.as_dict(),
            "overlay": overlay,
            "overlay_key": _key(overlay),
            "building_label": ui(self.language)["building"],
        }

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()

    def log(self, line: str) -> None:
        self.echo(f"{time.strftime('%H:%M:%S')} {line}")

    def report(self, diags: Diagnostics) -> None:
        """Print errors every time, warnings only when they differ from the last build's."""
        warnings = [str(d) for d in diags.warnings]
        for item in diags.errors:
            self.echo(f"  {item}")
        if warnings != self.shown_warnings or diags.errors:
            for line in warnings:
                self.echo(f"  {line}")
        self.shown_warnings = warnings


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] if text else ""


# --- building ----------------------------------------------------------------------------------


class SiteBuilder(threading.Thread):
    """Rebuilds the HTML edition in this process whenever the watcher says something changed."""

    def __init__(self, preview: Preview, printer: "PrintBuilder"):
        super().__init__(name="reportgen-site", daemon=True)
        self.preview = preview
        self.printer = printer
        self.pending = threading.Event()
        self.templates_changed = False
        from reportgen.load.reader import ParseCache

        self.parsed = ParseCache()
        """The sections the last builds read: an edit of one section parses that one alone."""

    def changed(self, paths: set[str]) -> None:
        templates = str((self.preview.source / "templates").resolve())
        self.templates_changed |= any(p.startswith(templates) for p in paths)
        self.parsed.changed(paths)
        with self.preview.changed:
            self.preview.changes += 1
        self.pending.set()

    def run(self) -> None:
        while True:
            self.pending.wait()
            if self.preview.stopping:
                return
            self.pending.clear()
            self.build()

    def build(self) -> bool:
        """One HTML build; True when it succeeded and is in place."""
        from reportgen.build import BuildOptions, build
        from reportgen.render import templates

        preview = self.preview
        change = preview.changes
        if self.templates_changed:  # a templates/ folder made after the start is not in the cached loader
            templates.environment.cache_clear()
            self.templates_changed = False
        preview.update(preview.site, building=True)
        start = time.perf_counter()
        try:
            options = BuildOptions(source=preview.source, out=preview.site_out, formats=("html",))
            result = build(options, parse_cache=self.parsed)
            diags = result.diagnostics
        except Exception as error:  # a fault of the program must not end the preview
            diags = Diagnostics()
            place, line = crash_place(error)
            diags.error(
                place,
                line,
                f"reportgen crashed while building the HTML edition ({type(error).__name__}: "
                f"{error}); this is a fault of reportgen, not of the report: please report it",
            )
        seconds = time.perf_counter() - start
        preview.language = _language(preview.source) or preview.language
        ok = not diags.errors
        if ok:
            preview.update(
                preview.site, building=False, ok=True, diagnostics=[], seconds=seconds, version=preview.new_version()
            )
            preview.log(f"HTML edition rebuilt in {seconds:.2f} s")
            self.printer.want(change)
        else:
            preview.update(
                preview.site,
                building=False,
                ok=False,
                seconds=seconds,
                diagnostics=[str(d) for d in diags.errors + diags.warnings],
            )
            preview.log(f"build failed ({len(diags.errors)} error(s)); still serving the last good version")
        preview.report(diags)
        return ok


class PrintBuilder(threading.Thread):
    """Rebuilds the PDF and the dashboard in a child process, on a slow cadence or on request."""

    def __init__(self, preview: Preview, every: float = PRINT_EVERY):
        super().__init__(name="reportgen-print", daemon=True)
        self.preview = preview
        self.every = every
        self.wanted = 0
        """The latest batch of changes a PDF should include."""
        self.covered = -1
        """The batch of changes the last finished PDF build included."""
        self.urgent = False
        self.last_start = float("-inf")
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._shown: list[str] = []

    def want(self, change: int, now: bool = False) -> None:
        with self.preview.changed:
            self.wanted = max(self.wanted, change)
            self.urgent |= now
            self.preview.changed.notify_all()

    def wait_for(self, change: int, timeout: float) -> bool:
        """Wait until a PDF build that includes ``change`` has finished; True if one did."""
        with self.preview.changed:
            return self.preview.changed.wait_for(lambda: self.covered >= change or self.preview.stopping, timeout)

    def run(self) -> None:
        while True:
            change = self._next()
            if change is None:
                return
            ok, diagnostics, seconds = self._build()
            preview = self.preview
            if preview.stopping:
                return
            with preview.changed:
                self.covered = change
                values = dict(
                    building=False, ok=ok, diagnostics=[] if ok else diagnostics, seconds=seconds, covers=change
                )
                if ok:
                    values["version"] = preview.new_version()
            preview.update(preview.print, **values)
            preview.log(
                f"PDF and dashboard rebuilt in {seconds:.1f} s"
                if ok
                else f"PDF and dashboard not rebuilt ({sum(' error: ' in d for d in diagnostics)} error(s))"
            )
            self._show(diagnostics, ok)

    def _show(self, diagnostics: list[str], ok: bool) -> None:
        """Print what only the PDF build found (a glyph no font has…), once while it stays the same."""
        own = [
            line
            for line in diagnostics
            if line not in self.preview.site.diagnostics and line not in self.preview.shown_warnings
        ]
        if own != self._shown or not ok:
            for line in own:
                self.preview.echo(f"  {line}")
        self._shown = own

    def _next(self) -> int | None:
        """Block until a build is due; the batch of changes it covers, or None when stopping."""
        preview = self.preview
        with preview.changed:
            while not preview.stopping:
                if self.wanted > self.covered:
                    wait = 0.0 if self.urgent else self.last_start + self.every - time.monotonic()
                    if wait <= 0:
                        self.urgent = False
                        self.last_start = time.monotonic()
                        preview.print.building = True
                        preview.serial += 1
                        preview.changed.notify_all()
                        return self.wanted
                    preview.changed.wait(wait)
                else:
                    preview.changed.wait()
            return None

    def _build(self) -> tuple[bool, list[str], float]:
        # -P: the working folder (often the source) is not put on sys.path, where its .py files would shadow modules
        channel = self.preview.print_out.parent / "print-diagnostics.jsonl"
        channel.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-P",
            "-m",
            "reportgen",
            "build",
            str(self.preview.source),
            "--out",
            str(self.preview.print_out),
            "--format",
            "pdf,dashboard",
            "--quiet",
            "--diagnostics-json",
            str(channel),
        ]
        start = time.perf_counter()
        with self._lock:
            if self.preview.stopping:
                return False, [], 0.0
            # Its own process group: Ctrl-C in the terminal is for the server, which then ends
            # the build and its workers together.
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                errors="replace",
                start_new_session=True,
            )
        _, errors = self.process.communicate()
        code = self.process.returncode
        diagnostics = _told(channel)
        if code != 0 and not diagnostics and not self.preview.stopping:
            diagnostics = [
                f"reportgen build: error: the PDF and dashboard build ended with exit status {code}: "
                + (errors.strip().splitlines() or [""])[-1]
            ]
        return code == 0, diagnostics, time.perf_counter() - start

    def terminate(self) -> None:
        """End a running build with its worker processes (call after `Preview.stop`)."""
        with self._lock:
            process = self.process
        if process is None or process.poll() is not None:
            return
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _told(channel: Path) -> list[str]:
    """The diagnostics a child build wrote to its channel (none when it ended before writing)."""
    try:
        return [json.loads(line)["text"] for line in channel.read_text(encoding="utf-8").splitlines() if line]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def crash_summary(error: BaseException) -> str:
    place, line = crash_place(error)
    return f"{type(error).__name__}: {error} (at {place}:{line})"


def _signal_group(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


def _language(source: Path) -> str | None:
    from reportgen.load.config import load_manifest

    manifest = load_manifest(source, Diagnostics())
    return manifest.language if manifest else None


# --- watching ----------------------------------------------------------------------------------


class Watcher:
    """Watches the source's top level (not recursively) and each watched folder (recursively).

    The top level is watched as a folder, not ``report.yaml`` as a file:
    editors save by writing a new file and renaming it over the old one,
    which ends a watch on the file itself.  When a watched folder appears or
    disappears, or the manifest moves sections to another folder, the
    recursive watch restarts with the new set, and the rebuild waits until
    the new watch is in place: a file written into the folder before then is
    in that rebuild, one written after is seen by the watch.
    """

    def __init__(self, source: Path, on_change):
        self.source = source.resolve()
        self.on_change = on_change
        self.stop_event = threading.Event()
        self._folders_stop = threading.Event()
        self._folders: tuple[Path, ...] = ()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start watching; returns once every watch is in place, so no save after it is missed."""
        top = threading.Event()
        self._spawn(self._watch_top, top)
        folders = self._restart_folders()
        top.wait(READY_WITHIN)
        folders.wait(READY_WITHIN)

    def stop(self) -> None:
        self.stop_event.set()
        self._folders_stop.set()
        for thread in self._threads:
            thread.join(timeout=2)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name="reportgen-watch", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _watch_top(self, ready: threading.Event) -> None:
        """Watch the top level; when the source folder is deleted and made again (a checkout, an
        unpacked copy), the old watch sees nothing more: watch the new folder and rebuild."""
        names = set(WATCHED)
        while not self.stop_event.is_set():
            identity, replaced = _identity(self.source), threading.Event()
            try:
                for changes in self._watch(
                    self.source,
                    ready=ready,
                    stop=_Either(self.stop_event, replaced),
                    recursive=False,
                    ticks=True,
                    watch_filter=lambda _change, path: Path(path).name in names or path == str(self.source),
                ):
                    # The folder itself removed (its inode may be reused at once), or another put in its place.
                    if str(self.source) in changes or _identity(self.source) != identity:
                        replaced.set()
                    elif changes:
                        self._restart_folders().wait(READY_WITHIN)
                        self.on_change(changes)
            except Exception:  # the watched folder went away under the watch
                pass
            ready.set()
            while not self.source.is_dir() and not self.stop_event.wait(TICK_MS / 1000):
                pass
            if not self.stop_event.is_set():
                self._folders = ()  # the folders are new too: watch them again
                self._restart_folders().wait(READY_WITHIN)
                self.on_change({str(self.source / "report.yaml")})

    def _restart_folders(self) -> threading.Event:
        """Watch the folders the source has now; the event is set once that watch is in place."""
        ready = threading.Event()
        folders = watched_folders(self.source)
        if folders == self._folders:
            ready.set()
            return ready
        self._folders_stop.set()
        self._folders_stop = threading.Event()
        self._folders = folders
        if folders:
            self._spawn(self._watch_folders, folders, ready, self._folders_stop)
        else:
            ready.set()
        return ready

    def _watch_folders(self, folders: tuple[Path, ...], ready: threading.Event, stop: threading.Event) -> None:
        for changes in self._watch(*folders, ready=ready, stop=_Either(stop, self.stop_event)):
            self.on_change(changes)

    @staticmethod
    def _watch(*paths, ready: threading.Event, stop, ticks: bool = False, **options):
        """Batches of changed paths; sets ``ready`` once the watch is in place (its first tick).
        With ``ticks``, an empty batch at every tick too."""
        import watchfiles

        for changes in watchfiles.watch(
            *paths, stop_event=stop, rust_timeout=TICK_MS, yield_on_timeout=True, **options
        ):
            ready.set()
            if changes or ticks:
                yield {path for _, path in changes}


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at this path (device, inode); None when there is none."""
    try:
        stat = folder.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class _Either:
    """Set when either of two events is set (watchfiles polls ``is_set``)."""

    def __init__(self, *events: threading.Event):
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)


def watched_folders(source: Path) -> tuple[Path, ...]:
    """The existing folders a rebuild depends on: the usual ones, those the manifest lists
    sections in and the site-root folders (``public:``) images are looked up in."""
    from reportgen.load.config import load_manifest

    names = {name for name in WATCHED if name != "report.yaml"}
    manifest = load_manifest(source, Diagnostics())
    for rel in [*manifest.sections, *manifest.public] if manifest else ():
        first = Path(rel).parts[0] if len(Path(rel).parts) > 1 or rel in manifest.public else None
        if first and first not in ("..", "build"):
            names.add(first)
    return tuple(sorted(source / name for name in names if (source / name).is_dir()))


# --- what the pages get --------------------------------------------------------------------------


def ui(language: str) -> dict[str, str]:
    """The preview's words (``preview_…`` in `messages`) by their short names."""
    from reportgen import messages

    words = messages.words(language)
    return {key.removeprefix("preview_"): text for key, text in words.items() if key.startswith("preview_")}


def overlay_html(site: Channel, printed: Channel, language: str) -> str:
    """The error overlay for the current state, or an empty string when every build succeeded."""
    words = ui(language)
    parts = []
    if not site.ok:
        parts.append(
            f'<h2 id="reportgen-overlay-title">{html.escape(words["failed"])}</h2>'
            f"<p>{html.escape(words['fix'])}</p>{_diagnostic_list(site.diagnostics)}"
        )
    errors = [d for d in printed.diagnostics if ": error: " in d]
    if not printed.ok and errors and site.ok:
        parts.append(
            f'<h2 id="reportgen-overlay-title">{html.escape(words["print_failed"])}</h2>{_diagnostic_list(errors)}'
        )
    if not parts:
        return ""
    return (
        f'<div id="reportgen-overlay" role="alertdialog" aria-modal="false" '
        f'aria-labelledby="reportgen-overlay-title" lang="{html.escape(language)}">'
        f'<div class="reportgen-panel">{"".join(parts)}'
        f'<button type="button" class="reportgen-close">{html.escape(words["close"])}</button></div></div>'
    )


def _diagnostic_list(diagnostics: list[str]) -> str:
    items = []
    for line in diagnostics:
        match = re.match(r"^(.*?): (error|warning): (.*)$", line, re.S)
        if match:
            place, severity, message = match.groups()
            items.append(
                f'<li class="reportgen-{severity}"><code>{html.escape(place)}:</code> '
                f"<strong>{severity}:</strong> {html.escape(message)}</li>"
            )
        else:
            items.append(f"<li><code>{html.escape(line)}</code></li>")
    return f'<ul class="reportgen-diagnostics">{"".join(items)}</ul>'


CSP = re.compile(r'(<meta\s+http-equiv=["\']Content-Security-Policy["\']\s+content=")([^"]*)(")', re.I)


def inject(page: str, channel: str, version: str, overlay: str) -> str:
    """``page`` with the reload script and its style in the head and the overlay (if any) in the body."""
    page = CSP.sub(_csp_with_self, page, count=1)
    tags = (
        f'<link rel="stylesheet" href="{PREFIX}overlay.css">'
        f'<script src="{PREFIX}reload.js" data-channel="{channel}" data-version="{html.escape(version)}" defer>'
        "</script>\n"
    )
    page = _insert_before(page, "</head>", tags, at_end=False)
    return _insert_before(page, "</body>", overlay, at_end=True) if overlay else page


def _csp_with_self(match: re.Match) -> str:
    policy = html.unescape(match.group(2))
    widened = allow_self(policy)
    if widened == policy:
        return match.group(0)
    return match.group(1) + widened.replace("&", "&amp;").replace('"', "&quot;") + match.group(3)


def _insert_before(page: str, tag: str, text: str, at_end: bool) -> str:
    index = page.lower().rfind(tag)
    if index < 0:
        return page + text if at_end else text + page
    return page[:index] + text + page[index:]


def allow_self(policy: str) -> str:
    """``policy`` with scripts, styles and connections from the server itself allowed.

    The HTML edition's policy allows them already; the dashboard's allows only
    its own inline script by hash, so the preview adds 'self' to what it serves.
    """
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    names = [d.split()[0].lower() for d in directives]
    default = directives[names.index("default-src")].split()[1:] if "default-src" in names else ["*"]
    for name in ("script-src", "style-src", "connect-src"):
        if name in names:
            i = names.index(name)
            values = [v for v in directives[i].split()[1:] if v != "'none'"]
            if "'self'" not in values:
                directives[i] = " ".join([name, *values, "'self'"])
        elif "'self'" not in default and "*" not in default:
            directives.append(f"{name} 'self'")
    return "; ".join(directives)


def placeholder_page(language: str, overlay: str) -> str:
    """The page served where the site has none yet (the first build failed or is running)."""
    words = ui(language)
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f'<title>reportgen</title></head><body><main class="reportgen-empty"><p>{html.escape(words["none_yet"])}'
        f"</p></main>{overlay}</body></html>"
    )


ASSETS = MappingProxyType({"reload.js": "text/javascript; charset=utf-8", "overlay.css": "text/css; charset=utf-8"})
"""The server's own files (in the package's ``templates/serve/``) and their content types: the
script that reloads a page after each build and shows build errors over it, and the overlay's style."""


def _asset(name: str) -> bytes:
    from reportgen.render import templates

    return (templates.PACKAGED / "serve" / name).read_bytes()


# --- the HTTP side ---------------------------------------------------------------------------------


def make_server(address: tuple[str, int], preview: Preview, printer: PrintBuilder):
    """A threading HTTP server on ``address`` serving ``preview``.

    The standard library's server classes are imported here, not with the
    module: they bring in ``ssl`` (tens of milliseconds), which every other
    command would otherwise pay at start.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(Routes, BaseHTTPRequestHandler):
        server_version = "reportgen-serve"

    class PreviewServer(ThreadingHTTPServer):
        daemon_threads = True  # open event streams must not keep the process alive on Ctrl-C
        address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET

        def handle_error(self, request, client_address) -> None:  # instead of a traceback on stderr
            error = sys.exc_info()[1]
            if not isinstance(error, (BrokenPipeError, ConnectionResetError)):
                self.preview.log(f"error: a request from {client_address[0]} failed: {crash_summary(error)}")

    server = PreviewServer(address, Handler, bind_and_activate=False)
    server.preview, server.printer = preview, printer
    try:
        server.server_bind()
        server.server_activate()
    except OSError:
        server.server_close()
        raise
    return server


class Routes:
    """The request handler's routes: the server's own files, the event stream, the PDF, the dashboard, the site."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._route(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._route(body=False)

    def log_message(self, format, *args) -> None:  # noqa: A002 - requests are not worth a line each
        pass

    def _route(self, body: bool) -> None:
        self.body = body
        try:
            self._answer()
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as error:  # a fault of the server: one line in the log, a 500 to the browser
            self.server.preview.log(f"error: answering GET {self.path[:200]!r} failed: {crash_summary(error)}")
            try:
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, b"internal error\n", "text/plain; charset=utf-8")
            except OSError:
                pass

    def _answer(self) -> None:
        if not self._host_allowed():
            self._send(HTTPStatus.FORBIDDEN, b"unexpected Host header\n", "text/plain; charset=utf-8")
            return
        if len(self.path) > MAX_URL:
            self._send(HTTPStatus.REQUEST_URI_TOO_LONG, b"address too long\n", "text/plain; charset=utf-8")
            return
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if paths.problem(path) is not None:  # a NUL byte, an over-long name: no file has such a name
            self._send(HTTPStatus.BAD_REQUEST, b"bad path\n", "text/plain; charset=utf-8")
            return
        preview = self.server.preview
        try:
            if path.startswith(PREFIX):
                self._own(path[len(PREFIX) :])
            elif path in ("/report.pdf", "/html/report.pdf"):
                self._pdf("rebuild" in parse_qs(parts.query, keep_blank_values=True))
            elif path == "/dashboard":
                self._redirect("/dashboard/")
            elif path.startswith("/dashboard/"):
                self._file(preview.print_out / "dashboard", path[len("/dashboard/") :], "print")
            else:
                rel = path[len("/html/") :] if path.startswith("/html/") else path.lstrip("/")
                self._file(preview.site_dir, rel, "site")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _host_allowed(self) -> bool:
        """On a loopback address, only requests addressed to a loopback name.

        A web page elsewhere can point its own host name at 127.0.0.1 (DNS
        rebinding) and then read the draft as if it were its own; its requests
        still carry its own name in the Host header.
        """
        address = self.server.server_address[0]
        if not _is_loopback(address):
            return True
        name = _host_name(self.headers.get("Host") or "")
        return not name or name == address or _is_loopback(name)  # no Host at all: not a browser

    # -- the server's own files

    def _own(self, name: str) -> None:
        if name in ASSETS:
            self._send(HTTPStatus.OK, _asset(name), ASSETS[name])
        elif name == "state":
            with self.server.preview.changed:
                state = self.server.preview.state()
            self._send(HTTPStatus.OK, json.dumps(state).encode(), "application/json")
        elif name == "events":
            self._events()
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def _events(self) -> None:
        """Server-Sent Events: the state now, then again every time it moves."""
        preview = self.server.preview
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not self.body:
            return
        self.wfile.write(b"retry: 1000\n\n")  # reconnect within a second when the server restarts
        seen = None
        while True:
            with preview.changed:
                preview.changed.wait_for(lambda: preview.serial != seen or preview.stopping, KEEPALIVE)
                if preview.stopping:
                    return
                moved, seen = preview.serial != seen, preview.serial
                message = f"event: state\ndata: {json.dumps(preview.state())}\n\n" if moved else ": still here\n\n"
            self.wfile.write(message.encode("utf-8"))
            self.wfile.flush()

    # -- the PDF

    def _pdf(self, rebuild: bool) -> None:
        preview, printer = self.server.preview, self.server.printer
        target = preview.print_out / "report.pdf"
        if rebuild:
            change = preview.changes
            printer.want(change, now=True)
            printer.wait_for(change, timeout=600)
        elif not target.is_file():
            printer.wait_for(0, timeout=600)  # the first build, started with the server
        if target.is_file() and (preview.print.ok or not rebuild):
            self._stream(target, "application/pdf")
            return
        page = placeholder_page(preview.language, preview.state()["overlay"])
        self._send(
            HTTPStatus.SERVICE_UNAVAILABLE,
            inject(page, "print", preview.print.version, "").encode(),
            "text/html; charset=utf-8",
        )

    # -- files of the site and the dashboard

    def _file(self, root: Path, rel: str, channel: str) -> None:
        preview = self.server.preview
        target = _inside(root, rel)
        if target is not None and target.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                self._redirect(self.path.split("?", 1)[0] + "/")
                return
            target = target / "index.html"
        if target is not None and not target.is_file() and preview.site.building:
            # The site folder is swapped whole at the end of a build; wait for it.
            with preview.changed:
                preview.changed.wait_for(lambda: not preview.site.building or preview.stopping, 30)
        if target is None or not target.is_file():
            self._missing(channel)
        elif target.suffix == ".html":
            self._page(target, channel)
        else:
            self._stream(target, _content_type(target))

    def _page(self, target: Path, channel: str) -> None:
        preview = self.server.preview
        with preview.changed:
            version, overlay = getattr(preview, channel).version, preview.state()["overlay"]
        page = inject(target.read_text(encoding="utf-8", errors="replace"), channel, version, overlay)
        self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8")

    def _missing(self, channel: str) -> None:
        preview = self.server.preview
        if not (preview.site_dir / "index.html").is_file():
            page = placeholder_page(preview.language, preview.state()["overlay"])
            self._send(HTTPStatus.NOT_FOUND, inject(page, channel, "", "").encode(), "text/html; charset=utf-8")
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    # -- responses

    def _send(self, status: HTTPStatus, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.body:
            self.wfile.write(data)

    def _stream(self, path: Path, content_type: str) -> None:
        try:
            handle = path.open("rb")
        except OSError:
            self._missing("site")
            return
        with handle:
            size = path.stat().st_size
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(size))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if self.body:
                shutil.copyfileobj(handle, self.wfile)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _host_name(header: str) -> str:
    """The name in a Host header without its port: ``localhost:8000`` → ``localhost``, ``[::1]:80`` → ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.split(":", 1)[0]


def _inside(root: Path, rel: str) -> Path | None:
    """``root/rel`` when it stays inside ``root``; None for a path that climbs out."""
    base = root.resolve()
    target = (base / rel).resolve()
    return target if target == base or target.is_relative_to(base) else None


def _content_type(path: Path) -> str:
    kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return kind + "; charset=utf-8" if kind.startswith("text/") else kind


# --- putting it together ----------------------------------------------------------------------------


class Session:
    """A running preview: server, builders and watcher; `start` then `close`."""

    def __init__(
        self,
        source: Path,
        out: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        print_every: float = PRINT_EVERY,
        echo=None,
    ):
        self.preview = Preview(source, out, echo)
        self.printer = PrintBuilder(self.preview, print_every)
        self.builder = SiteBuilder(self.preview, self.printer)
        self.server = bind(host, port, self.preview, self.printer)
        self.watcher = Watcher(source, self.builder.changed)
        self._serving = threading.Thread(target=self.server.serve_forever, name="reportgen-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def start(self) -> "Session":
        """Build the HTML edition once, then serve, watch and rebuild."""
        self.preview.link_site_beside_dashboard()
        self.watcher.start()  # before the first build, so a save during it is not missed
        self.builder.build()
        self.builder.start()
        self.printer.start()
        self._serving.start()
        return self

    def close(self) -> None:
        self.preview.stop()
        self.builder.pending.set()
        self.watcher.stop()
        self.printer.terminate()
        if self._serving.is_alive():  # shutdown() waits for serve_forever, which may never have run
            self.server.shutdown()
        self.server.server_close()
        for thread in (self.builder, self.printer):
            if thread.is_alive():
                thread.join(timeout=30)  # a build under way finishes; its outputs are written whole

    def __enter__(self) -> "Session":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def bind(host: str, port: int, preview: Preview, printer: PrintBuilder):
    try:
        return make_server((host, port), preview, printer)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ReportError(
                f"error: port {port} on {host} is already in use (another preview, or another "
                f"server); stop it or choose another port: reportgen serve --port {port + 1}"
            ) from None
        if error.errno == errno.EACCES:
            raise ReportError(
                f"error: not allowed to listen on port {port}; ports below 1024 need privileges, "
                "choose another with --port"
            ) from None
        raise ReportError(f"error: cannot listen on {host}:{port}: {error.strerror or error}") from None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@click.command("serve")
@click.argument("source", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; keep the default unless others must see the draft.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the preview's builds [default: SOURCE/build/preview].",
)
def serve_command(source: Path, port: int, host: str, out: Path | None) -> None:
    """Preview the report in SOURCE in a browser; pages update on every save."""
    if not (source / "report.yaml").is_file():
        raise ReportError(
            f"{source}: error: no report.yaml here; run reportgen serve in a report source folder "
            "or pass its path (reportgen serve PATH)"
        )
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}: other machines on the network can read this draft", err=True)
    session = Session(source, out or source / "build" / "preview", host, port)
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop ends it as cleanly as Ctrl-C
    try:
        click.echo(f"building {source} …", err=True)
        session.start()
        click.echo(
            f"serving the preview at {session.url}  (dashboard: {session.url}dashboard/, "
            f"PDF: {session.url}report.pdf); press Ctrl-C to stop",
            err=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        session.close()
        click.echo("stopped", err=True)
