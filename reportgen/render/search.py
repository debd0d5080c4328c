"""The search index of the HTML edition, made by Pagefind.

Pagefind reads the finished pages of the staged site and writes its index,
its scripts and its WebAssembly into the site's ``pagefind/`` folder, so
search runs in the reader's browser with nothing fetched from another host.
Only what a page marks ``data-pagefind-body`` (the section text) is indexed.

The extended build of Pagefind (PyPI ``pagefind-bin-extended``) segments
Chinese and Japanese into words; the plain build indexes a run of Han
characters as one word, so a two-character query would find nothing.  A
site without a search index still works, so problems here are warnings.

Starting Pagefind costs more than indexing a report of a few hundred pages:
the extended build loads its Chinese dictionary on the first page it reads
(about 0.3 CPU-s).  So the index is made by one ``pagefind --service``
process (`Service`) that lives as long as this process: the command line
starts it, and has it read a page in the report's language, before it even
imports the pipeline, so the dictionary loads on the other core while the
sections are parsed and rendered; ``reportgen serve`` keeps it warm from one
build to the next.  The pages go to it from memory.  Whenever the service
cannot be used, the Pagefind command line indexes the written site instead.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from reportgen.errors import Diagnostics

#: Draft-only bits inside the indexed text: status badges, owner chips and due
#: dates, notes about missing text.  A search must not find them.
IGNORED = (".badge", ".unit-meta", ".draft-banner", ".pending", ".placeholder", ".untranslated")

#: Output folder of the index, relative to the site root; site.js loads it from there.
BUNDLE = "pagefind"

#: Seconds Pagefind may take; it needs about one for a report of a few hundred pages.
TIMEOUT = 300


def index_site(site: Path, language: str, diags: Diagnostics, place: str, pages: dict[str, str] | None = None) -> bool:
    """Index the pages in ``site`` into ``site/pagefind``; True when the index was written.

    ``pages`` (site-relative path → HTML text) are the site's pages, read from memory by
    the running `Service`; the pages written in ``site`` are read when there is none.
    ``place`` names the site in diagnostics.
    """
    binary, extended = pagefind_binary()
    if binary is None:
        diags.warning(
            place,
            None,
            "search index not built: the Pagefind binary is missing "
            "(pip install 'pagefind[extended]'); the site has no search",
        )
        return False
    if not extended and language.lower().startswith(("zh", "ja")):
        diags.warning(
            place,
            None,
            "Pagefind without its extended build cannot split Chinese or Japanese into "
            "words, so search will miss most queries (pip install 'pagefind[extended]')",
        )
    if pages is not None and _index_by_service(binary, pages, site / BUNDLE):
        return True
    try:
        # Run in the staged site, which holds only generated files at its top: Pagefind reads a
        # pagefind.yml/.toml/.json from its working folder, and the user's may be a report source.
        done = subprocess.run(
            _command(binary, site.resolve()), cwd=site, capture_output=True, text=True, timeout=TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        diags.warning(place, None, f"search index not built: Pagefind did not run ({error})")
        return False
    if done.returncode != 0 or not (site / BUNDLE / "pagefind.js").is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()
        diags.warning(
            place,
            None,
            "search index not built: Pagefind failed"
            + (f": {detail[-1]}" if detail else f" with exit status {done.returncode}"),
        )
        return False
    return True


def pagefind_binary() -> tuple[Path | None, bool]:
    """The Pagefind executable and whether it is the extended build (which segments CJK)."""
    try:
        from pagefind_bin_extended import get_executable as extended
    except ImportError:
        pass
    else:
        try:
            return extended(), True
        except FileNotFoundError:
            pass
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None, False
    binary = get_executable()
    return (binary, "extended" in binary.name) if binary is not None else (None, False)


def _dies_with_us() -> list[str]:
    """A prefix that makes Pagefind die if the build is killed: left running, it would
    write its index into a staged site the next build has already tidied away.
    (util-linux's setpriv sets the kernel's parent-death signal; a preexec_fn would
    do the same but is unsafe while the PDF workers' manager thread runs.)"""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def _command(binary: Path, site: Path) -> list[str]:
    return [
        *_dies_with_us(),
        str(binary),
        "--site",
        str(site),
        "--output-subdir",
        BUNDLE,
        # One CSS selector list: any element matching one of them is left out.
        "--exclude-selectors",
        ", ".join(IGNORED),
        # Result links name the page file, so they also work where no server maps / to index.html.
        "--keep-index-url",
        "--quiet",
    ]


# --- the long-lived Pagefind service -------------------------------------------------------


class ServiceError(Exception):
    """The service did not answer as it should; the command line indexes instead."""


class Service:
    """One ``pagefind --service`` process and its protocol: each request is base64 of a
    JSON ``{"message_id", "payload"}`` followed by a comma, and so is each answer.

    Spoken here rather than through ``pagefind.index.PagefindIndex``: that client polls
    for answers every 0.1 s (longer than indexing a page) and needs an event loop.  One
    request at a time (`lock`); an answer to a request nobody waits for (the warm-up's)
    is read and dropped."""

    def __init__(self, binary: Path):
        # An empty working folder of its own: Pagefind reads a pagefind.yml/.toml/.json from
        # its working folder, and this process's may be a report source.
        self.folder = tempfile.mkdtemp(prefix="reportgen-pagefind-")
        self.binary = binary
        self.process = subprocess.Popen(
            [*_dies_with_us(), str(binary), "--service"],
            cwd=self.folder,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.lock = threading.Lock()
        self.warmed: set[str] = set()
        self.keep = True
        """Whether it stays once no site is being indexed (`start`)."""
        self.indexing = 0
        """Sites being indexed through it now."""
        self.awaited = 0
        """Sites the build said are still to come (`expect`): a command keeps it for them."""
        self.last_id = 0
        self.buffer = b""

    def alive(self) -> bool:
        return self.process.poll() is None

    def post(self, payload: dict) -> int:
        """Send one request; its message id."""
        self.last_id += 1
        message = {"message_id": self.last_id, "payload": payload}
        try:
            self.process.stdin.write(base64.b64encode(json.dumps(message).encode("utf-8")) + b",")
            self.process.stdin.flush()
        except (OSError, ValueError) as error:
            raise ServiceError(f"cannot write to Pagefind: {error}") from error
        return self.last_id

    def wait(self, message_id: int, deadline: float) -> dict:
        """The answer to request ``message_id`` (its payload), reading at most until ``deadline``."""
        while True:
            while b"," in self.buffer:
                raw, self.buffer = self.buffer.split(b",", 1)
                try:
                    answer = json.loads(base64.b64decode(raw))
                except ValueError:
                    continue  # not a message: nothing else is written on this pipe, but never trust it
                payload = answer.get("payload") or {}
                if answer.get("message_id") == message_id:
                    if payload.get("type") == "Error":
                        raise ServiceError(str(payload.get("message", "error")))
                    return payload
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.process.stdout], [], [], left)[0]:
                raise ServiceError("Pagefind did not answer in time")
            chunk = os.read(self.process.stdout.fileno(), 1 << 16)
            if not chunk:
                raise ServiceError("Pagefind stopped")
            self.buffer += chunk

    def call(self, payload: dict, deadline: float) -> dict:
        return self.wait(self.post(payload), deadline)

    def warm(self, language: str) -> None:
        """Have the service read one short page in ``language`` without waiting for it, so
        that it loads what that language needs (the extended build's Chinese dictionary)."""
        with self.lock:
            self.warmed.add(language)
            index = self.call({"type": "NewIndex", "config": None}, time.monotonic() + TIMEOUT)["index_id"]
            self.post(
                {
                    "type": "AddFile",
                    "index_id": index,
                    "file_path": None,
                    "url": "/warm.html",
                    "file_contents": f'<html lang="{language}"><body><p>{WARM_TEXT}</p></body></html>',
                }
            )
            self.post({"type": "DeleteIndex", "index_id": index})

    def index(self, pages: dict[str, str], output: Path) -> None:
        """Index the HTML ``pages`` (site-relative path → text) into the folder ``output``."""
        deadline = time.monotonic() + TIMEOUT
        config = {"exclude_selectors": list(IGNORED), "keep_index_url": True}
        with self.lock:
            index = self.call({"type": "NewIndex", "config": config}, deadline)["index_id"]
            try:
                for rel, text in pages.items():
                    if rel.endswith(".html"):
                        self.call(
                            {
                                "type": "AddFile",
                                "index_id": index,
                                "file_path": None,
                                "url": f"/{rel}",
                                "file_contents": text,
                            },
                            deadline,
                        )
                self.call({"type": "WriteFiles", "index_id": index, "output_path": str(output.resolve())}, deadline)
            finally:
                self.post({"type": "DeleteIndex", "index_id": index})  # its answer is dropped unread

    def close(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


#: What the warm-up page says: any text of the language does; this is Chinese.
WARM_TEXT = "年度报告的搜索索引"

_running: Service | None = None
"""The process's one Pagefind service, a cache of the process: invalidated when the service
dies or stops answering (`_service` then starts a new one), and closed with the process."""
_starting = threading.Lock()


def start(source: Path, keep: bool = True) -> None:
    """Start the service now and warm it for the language of the report in ``source``
    (read from report.yaml by a pattern, not parsed: a wrong guess costs only time).

    ``keep=False`` (a command, which builds once): stop it once no site is being indexed;
    idle, it would hold its memory (~80 MB at 2,000 pages) until the PDF is done.  A
    preview keeps it warm for the next build."""
    running = _service()
    if running is not None:
        running.keep = keep
    prepare(_language_guess(source) or "en")


def expect(sites: int) -> None:
    """Say that a build will index ``sites`` sites, one after another (one per language):
    a command's service (``keep=False``) stays until the last of them is indexed, not
    stopped after the first to be started again for the next."""
    with _starting:
        if _running is not None:
            _running.awaited += sites


def prepare(language: str) -> None:
    """Have a service running and warm for ``language`` before the pages are ready.

    Called in the thread that lives as long as the build's caller (the command, the
    preview's builder): the service dies with the thread that started it (`_dies_with_us`)."""
    running = _service()
    if running is None or language in running.warmed:
        return
    try:
        running.warm(language)
    except ServiceError:
        _stop()


def _language_guess(source: Path) -> str:
    try:
        text = (source / "report.yaml").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    found = re.search(r"^language:[ \t]*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)", text, re.MULTILINE)
    return found.group(1) if found else ""


def _service() -> Service | None:
    """The running service, started when there is none (or it died); None without a binary."""
    global _running
    with _starting:
        if _running is not None and _running.alive():
            return _running
        if _running is not None:
            _running.close()
            _running = None
        binary, _extended = pagefind_binary()
        if binary is None:
            return None
        try:
            _running = Service(binary)
        except OSError:
            return None
        return _running


def _stop(only: Service | None = None) -> None:
    """Close the running service (only if it is ``only``, when given)."""
    global _running
    with _starting:
        if _running is not None and (only is None or _running is only):
            _running.close()
            _running = None


atexit.register(_stop)


def _index_by_service(binary: Path, pages: dict[str, str], output: Path) -> bool:
    """Index ``pages`` through the running service; False when that was not possible
    (the caller runs the command line instead)."""
    running = _service()
    if running is None or running.binary != binary:
        return False
    with _starting:
        running.indexing += 1
    try:
        running.index(pages, output)
    except ServiceError:
        _stop()  # a service that failed once is not trusted again: the next build starts another
        shutil.rmtree(output, ignore_errors=True)
        return False
    finally:
        with _starting:
            running.indexing -= 1
            running.awaited = max(0, running.awaited - 1)
            idle = not running.keep and not running.indexing and not running.awaited
        if idle:
            _stop(only=running)
    return (output / "pagefind.js").is_file()
