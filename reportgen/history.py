"""Progress over time, read from git: the unit counts at each commit that changed the report.

`read_history` walks the commits that touched ``sections/`` or ``report.yaml``
(the newest `LIMIT` of them), loads the source as it was at each one with the
project's own reader, and counts its units by status.  A commit never
changes, so its counts are cached under ``OUT/.cache/history/`` and a rebuild
reads only the commits that are new.  `last_changes` gives the last commit of
each section file, and whether it has changes not yet committed.

Without git, outside a repository or on any git failure, the history is
simply empty: a report does not have to live in git.

A source is untrusted, and so is its ``.git/config``: git can run commands
named there (``core.fsmonitor``, hooks, pagers, external diff and textconv
drivers, clean filters, credential helpers, transports).  Every git command
here runs with those switched off (`SAFE_CONFIG`, `_environment`) and only
reads: ``git status`` is not used, because it runs the clean filter a
``.gitattributes`` names and git 2.39 cannot switch attributes off; which
files have uncommitted changes is found by hashing them here instead.
``safe.directory`` is left to git, so a repository owned by someone else is
refused as git refuses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reportgen import output
from reportgen.errors import Diagnostics

LIMIT = 200
"""Commits read at most (the newest); older ones are left out of the chart."""

TRACKED = ("sections", "report.yaml")
"""What a commit must touch to be a point of the history, relative to the source."""

_TIMEOUT = 60

Point = tuple[str, dict[str, int]]


@dataclass(frozen=True)
class History:
    """The status counts at each commit, oldest first."""

    points: list[Point]
    """(committer date as ISO 8601, units per status) per commit whose source could be read."""
    read: int
    """Commits read (at most `LIMIT`)."""
    total: int
    """Commits that touched the report in all; more than `read` when capped."""

    @property
    def capped(self) -> bool:
        return self.total > self.read


@dataclass(frozen=True)
class Change:
    """The last change of one file."""

    date: str | None
    """Committer date (ISO 8601) of the last commit that touched the file, None if never committed."""
    author: str | None
    subject: str | None
    uncommitted: bool
    """The working tree holds changes to the file (or the file itself) not yet committed."""


def progress_history(source: Path, cache_dir: Path | None = None, limit: int = LIMIT) -> list[Point]:
    """``[(iso_date, {"editing": n, "reviewing": n, "done": n, "unmarked": n}), …]``, oldest first."""
    return read_history(source, cache_dir, limit).points


def read_history(source: Path, cache_dir: Path | None = None, limit: int = LIMIT) -> History:
    """The counts at each of the newest ``limit`` commits that touched the report; empty without git."""
    repo = _Repo.open(Path(source))
    if repo is None:
        return History([], 0, 0)
    try:
        return _read(repo, cache_dir, limit)
    except (OSError, subprocess.SubprocessError, ValueError, UnicodeDecodeError):
        return History([], 0, 0)


def last_changes(source: Path, paths: list[str], depth: int = 2000) -> dict[str, Change]:
    """The last commit (within the newest ``depth``) and uncommitted state of each path; {} without git."""
    repo = _Repo.open(Path(source))
    if repo is None:
        return {}
    try:
        committed = repo.last_commits(set(paths), depth)
        dirty = repo.dirty()
    except (OSError, subprocess.SubprocessError, ValueError, UnicodeDecodeError):
        return {}
    changes = {}
    for path in paths:
        date, author, subject = committed.get(path, (None, None, None))
        changes[path] = Change(date, author, subject, path in dirty)
    return changes


def revision(source: Path) -> str | None:
    """Short hash of HEAD, with ``+`` when the report has uncommitted changes; None without git."""
    repo = _Repo.open(Path(source))
    if repo is None:
        return None
    try:
        head = repo.git("rev-parse", "--short", "HEAD").strip()
        return head + ("+" if repo.dirty() else "")
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None


# --- reading the commits ------------------------------------------------------------------


def _read(repo: "_Repo", cache_dir: Path | None, limit: int) -> History:
    commits = repo.commits(limit + 1)
    total = len(commits)
    if total > limit:
        commits = commits[:limit]
        total = int(repo.git("rev-list", "--count", "HEAD", "--", *TRACKED).strip())
    cache = _Cache(cache_dir, repo.prefix)
    points = []
    with _Blobs(repo) as blobs:
        for sha, date in reversed(commits):
            counts = cache.get(sha)
            if counts is None:
                counts = _counts_at(repo, sha, blobs)
                cache.put(sha, counts)
            if counts:
                points.append((date, counts))
    return History(points, len(commits), total)


def _counts_at(repo: "_Repo", sha: str, blobs: "_Blobs") -> dict[str, int]:
    """Units per status in the source as of ``sha``; {} when its manifest cannot be read."""
    from reportgen.load.reader import load_report
    from reportgen.status import unit_counts

    with tempfile.TemporaryDirectory(prefix="reportgen-history-") as tmp:
        root = Path(tmp)
        for mode, kind, blob, path in repo.tree(sha):
            if kind != "blob" or mode == "120000":  # symlinks would point outside the snapshot
                continue
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blobs.read(blob))
        # Problems in past commits are history: nobody can fix them now.
        report = load_report(root, Diagnostics())
        return unit_counts(report) if report is not None else {}


class _Cache:
    """Counts per commit as small JSON files; a missing or stale file is simply recomputed."""

    def __init__(self, folder: Path | None, prefix: str):
        self.folder, self.prefix, self.code = folder, prefix, _code_digest()

    def get(self, sha: str) -> dict[str, int] | None:
        if self.folder is None:
            return None
        try:
            data = json.loads((self.folder / f"{sha}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("code") != self.code or data.get("prefix") != self.prefix:
            return None
        counts = data.get("counts")
        return counts if isinstance(counts, dict) else None

    def put(self, sha: str, counts: dict[str, int]) -> None:
        if self.folder is None:
            return
        record = {"code": self.code, "prefix": self.prefix, "counts": counts}
        try:
            output.write_text(self.folder / f"{sha}.json", json.dumps(record, ensure_ascii=False))
        except OSError:
            pass  # a cache that cannot be written costs time, not correctness


def _code_digest() -> str:
    """A hash of every module of the package: any code change may change the counts, so it
    invalidates the cache (a hand-kept list of the modules that matter goes stale)."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(here.rglob("*.py")):
        digest.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# --- git ---------------------------------------------------------------------------------------


SAFE_CONFIG = (
    "core.fsmonitor=false",  # a command git would run on every index read
    "core.hooksPath=/dev/null",  # no hook (post-index-change, …) can be found
    "core.pager=cat",
    "pager.log=false",
    "diff.external=",
    "core.askPass=",
    "credential.helper=",
    "core.sshCommand=false",
    "core.gitProxy=",
    "gpg.program=false",
    "protocol.allow=never",  # no transport: a partial clone must not fetch what it lacks
    *(f"protocol.{name}.allow=never" for name in ("ext", "file", "ssh", "git", "http", "https")),
    "core.quotepath=off",
    "log.showSignature=false",
    "gc.auto=0",
    "maintenance.auto=false",
)
"""Configuration given on the command line, which outranks everything in the source's ``.git/config``."""


def git_command(exe: str, *args: str) -> list[str]:
    """``git ARGS`` with every configuration that could run a command switched off."""
    options = [item for setting in SAFE_CONFIG for item in ("-c", setting)]
    return [exe, "--no-pager", *options, *args]


def _environment() -> dict[str, str]:
    """The caller's environment, with no system configuration, no prompt and no index lock."""
    env = dict(os.environ)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_ATTR_NOSYSTEM="1",
    )
    return env


class _Repo:
    """git, run in the source folder; pathspecs and paths are relative to it."""

    def __init__(self, git: str, source: Path, prefix: str):
        self.exe, self.source, self.prefix = git, source, prefix

    @classmethod
    def open(cls, source: Path) -> "_Repo | None":
        git = shutil.which("git")
        if git is None or not source.is_dir():
            return None
        repo = cls(git, source, "")
        try:
            repo.prefix = repo.git("rev-parse", "--show-prefix").strip()
            repo.git("rev-parse", "--verify", "--quiet", "HEAD")  # a repository without commits has no history
        except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
            return None
        return repo

    def run(self, *args: str, stdin=None, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
        return subprocess.run(
            git_command(self.exe, *args),
            cwd=self.source,
            env=_environment(),
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            timeout=_TIMEOUT,
            check=True,
        )

    def git(self, *args: str) -> str:
        return self.run(*args).stdout.decode("utf-8")

    def commits(self, limit: int) -> list[tuple[str, str]]:
        """(hash, committer date) of the newest ``limit`` commits that touched the report, newest first."""
        text = self.git("log", "--no-ext-diff", "--no-textconv", f"-n{limit}", "--format=%H %cI", "--", *TRACKED)
        return [tuple(line.split(" ", 1)) for line in text.splitlines() if line]

    def tree(self, sha: str) -> list[tuple[str, str, str, str]]:
        """(mode, type, blob, path relative to the source) of every tracked file at ``sha``."""
        text = self.git("ls-tree", "-r", "-z", sha, "--", *TRACKED)
        entries = []
        for record in filter(None, text.split("\0")):
            meta, path = record.split("\t", 1)
            mode, kind, blob = meta.split(" ")
            entries.append((mode, kind, blob, path))
        return entries

    def last_commits(self, paths: set[str], depth: int) -> dict[str, tuple[str, str, str]]:
        """path → (date, author, subject) of the newest commit touching it."""
        text = self.git(
            "log",
            "--no-ext-diff",
            "--no-textconv",
            f"-n{depth}",
            "--relative",
            "--name-only",
            "-z",
            "--format=%x1e%cI%x1f%an%x1f%s",
            "--",
            *TRACKED,
        )
        found: dict[str, tuple[str, str, str]] = {}
        for entry in filter(None, text.split("\x1e")):
            header, *names = entry.split("\0")  # with -z: header NUL, then one NUL-ended name per line
            date, author, subject = (header.split("\x1f") + ["", ""])[:3]
            for name in (n.strip("\n") for n in names):
                if name in paths and name not in found:
                    found[name] = (date, author, subject)
            if len(found) == len(paths):
                break
        return found

    def dirty(self) -> set[str]:
        """Paths (relative to the source) that differ from HEAD, untracked files included.

        Compared here, blob hash against blob hash, rather than with ``git status``,
        which would run the clean filter of any driver the source's attributes name.
        """
        committed = {path: (mode, blob) for mode, kind, blob, path in self.tree("HEAD") if kind == "blob"}
        untracked = self.git("ls-files", "-z", "--others", "--exclude-standard", "--", *TRACKED)
        paths = {p for p in untracked.split("\0") if p}  # like ls-tree's, relative to the source
        for path, (mode, blob) in committed.items():
            if not _same_blob(self.source / path, mode, blob):
                paths.add(path)
        return paths


def _same_blob(path: Path, mode: str, blob: str) -> bool:
    """The working file ``path`` holds what git stored as ``blob`` (CRLF checkouts included)."""
    try:
        data = os.readlink(path).encode() if mode == "120000" else path.read_bytes()
    except OSError:
        return False
    algorithm = hashlib.sha256 if len(blob) == 64 else hashlib.sha1
    for candidate in (data, data.replace(b"\r\n", b"\n")):
        if algorithm(b"blob %d\0" % len(candidate) + candidate).hexdigest() == blob:
            return True
    return False


class _Blobs:
    """One ``git cat-file --batch`` for all the blobs of a history walk."""

    def __init__(self, repo: _Repo):
        self.repo, self.process = repo, None

    def __enter__(self) -> "_Blobs":
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.stdout.close()
            self.process.wait(timeout=_TIMEOUT)

    def read(self, blob: str) -> bytes:
        if self.process is None:
            self.process = subprocess.Popen(
                git_command(self.repo.exe, "cat-file", "--batch"),
                cwd=self.repo.source,
                env=_environment(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        self.process.stdin.write(blob.encode() + b"\n")
        self.process.stdin.flush()
        header = self.process.stdout.readline().split()
        if len(header) != 3:
            raise ValueError(f"git cat-file: no blob {blob}")
        data = self.process.stdout.read(int(header[2]) + 1)  # the content, then a newline
        return data[:-1]


# --- single files, for translations -------------------------------------------------------------


def last_commit(source: Path, rel: str) -> str | None:
    """HEAD's hash when the file ``rel`` (relative to the source) is committed as it is now, else None."""
    repo = _Repo.open(source)
    if repo is None:
        return None
    try:
        head = repo.git("rev-parse", "HEAD").strip()
        committed = repo.run("show", f"{head}:{repo.prefix}{rel}").stdout
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None
    try:
        return head if (source / rel).read_bytes() == committed else None
    except OSError:
        return None


def file_at(source: Path, commit: str, rel: str) -> bytes | None:
    """The bytes of ``rel`` at ``commit``; None when git cannot give them."""
    if not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        return None
    repo = _Repo.open(source)
    if repo is None:
        return None
    try:
        return repo.run("show", f"{commit}:{repo.prefix}{rel}").stdout
    except (OSError, subprocess.SubprocessError):
        return None
