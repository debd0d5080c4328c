"""Writing outputs so that nothing is ever half-written, and nothing of the user's is lost.

Every output is written beside its final place under a temporary name and
moved into place only when complete: an error or a kill in the middle of a
build leaves the previous ``report.pdf``, site and dashboard as they were.

An output folder may hold the user's own files (``--out`` is any folder), so
the build owns only what it wrote: `OutputFolder` keeps the list of those
paths in ``OUT/.reportgen-manifest.json`` and replaces, moves or deletes
nothing else — a path in the way that it did not write is an error, the
user's files inside ``html/`` are carried into each new site, and only its
own temporary files are tidied.  A lock on ``OUT/.reportgen.lock`` makes a
second build into the same folder wait for the first.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Modes outputs get (mkstemp/mkdtemp make private files; a published site must be readable).
FILE_MODE = 0o666 & ~_umask()
DIR_MODE = 0o777 & ~_umask()

MANIFEST = ".reportgen-manifest.json"
"""The list of what the build wrote into an output folder (relative paths)."""
LOCK = ".reportgen.lock"
"""The file a build holds an exclusive lock on while it uses an output folder."""
CACHE = ".cache"
"""The build's own folder of caches: everything in it is the build's."""
OWN_FILES = (MANIFEST, LOCK)


@dataclass(frozen=True, slots=True)
class Pending:
    """One rendered output, not yet written."""

    paths: tuple[str, ...]
    """Paths relative to the output folder it will write (files, and a folder it replaces whole)."""
    trees: tuple[str, ...]
    """Folders whose every file it will write (a search index whose file names are not known yet)."""
    write: Callable[["OutputFolder"], Path]
    """Puts the output in place; returns the path to show the user."""

    def __call__(self, folder: "OutputFolder | None" = None) -> Path:
        return self.write(folder)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        _remove(Path(tmp))
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


class Stage:
    """An empty folder beside ``final`` that `commit` moves into its place whole."""

    def __init__(self, final: Path, scratch: Path | None = None):
        """``scratch``: the folder to stage in, on the same file system, when ``final``'s
        own parent may be replaced before this commits (a language's site inside html/)."""
        self.final = final
        folder = scratch or final.parent
        folder.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=folder))
        os.chmod(self.path, DIR_MODE)

    def commit(self, keep=()) -> None:
        """Swap the staged folder in.  ``keep`` names files of the present ``final``
        (relative paths) that are not the build's: they are hard-linked (copied where
        links are impossible) into the new folder first, so they survive unchanged."""
        final = self.final
        for rel in keep:
            _carry(final / rel, self.path / rel)
        final.parent.mkdir(parents=True, exist_ok=True)
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(self.path, final)
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _carry(source: Path, target: Path) -> None:
    """Put ``source`` (a file or symbolic link) at ``target`` too, keeping its bytes and times."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)


class OutputFolder:
    """One output folder while a build uses it: its lock and the record of what the build owns.

    Ownership is by path relative to the folder: ``paths`` (files, and the
    ``html`` folder the build swaps) and ``trees`` (folders wholly the
    build's, such as ``.cache``).
    """

    def __init__(self, out: Path):
        self.out = out
        self.paths: set[str] = set()
        self.trees: set[str] = set()
        self._lock = None

    # --- the lock ---------------------------------------------------------------------

    def acquire(self, on_wait=None) -> None:
        """Lock the folder; when another build holds it, call ``on_wait`` once and wait for it."""
        self.out.mkdir(parents=True, exist_ok=True)
        handle = open(self.out / LOCK, "a+b")
        # A POSIX record lock (lockf), not flock: it belongs to this process alone, so the PDF
        # workers forked while it is held do not keep holding it when a killed build leaves them behind.
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                handle.close()
                raise
            if on_wait is not None:
                on_wait(f"{self.out}: waiting for another build into this folder to finish…")
            fcntl.lockf(handle, fcntl.LOCK_EX)
        self._lock = handle
        self._load()

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    # --- what the build owns -------------------------------------------------------------

    def owns(self, rel: str) -> bool:
        if rel in self.paths or rel in OWN_FILES:
            return True
        return any(rel == tree or rel.startswith(tree + "/") for tree in self.trees)

    def conflicts(self, wanted) -> list[str]:
        """The paths of ``wanted`` (and their parent folders) that exist and are not the build's."""
        found = []
        for rel in sorted(set(wanted)):
            parts = rel.split("/")
            for depth in range(1, len(parts) + 1):
                here = "/".join(parts[:depth])
                path = self.out / here
                if depth < len(parts) and path.is_dir() and not path.is_symlink():
                    continue  # a folder on the way holds the user's files and ours side by side
                if os.path.lexists(path) and not self.owns(here):
                    found.append(here)
                break
        return list(dict.fromkeys(found))

    def claim(self, paths=(), trees=()) -> None:
        """Record ``paths`` and ``trees`` as the build's before anything is written there."""
        new_paths, new_trees = set(paths) - self.paths, set(trees) - self.trees
        if new_paths or new_trees:
            self.paths |= new_paths
            self.trees |= new_trees
            self._save()

    def settle(self) -> None:
        """Forget paths that no longer exist (pages of sections since removed, say)."""
        gone = {rel for rel in self.paths if not os.path.lexists(self.out / rel)}
        if gone:
            self.paths -= gone
            self._save()

    def foreign(self, folder: str) -> list[str]:
        """Files under ``folder`` (relative paths inside it) that the build did not write."""
        root = self.out / folder
        if not root.is_dir() or root.is_symlink():
            return []
        found = []
        for here, dirs, files in os.walk(root):
            base = Path(here).relative_to(self.out).as_posix()
            dirs[:] = [d for d in dirs if not self.owns(f"{base}/{d}") or f"{base}/{d}" in self.paths]
            found += [f"{base}/{name}"[len(folder) + 1 :] for name in files if not self.owns(f"{base}/{name}")]
            found += [f"{base}/{d}"[len(folder) + 1 :] for d in dirs if (Path(here) / d).is_symlink()]
        return sorted(found)

    def _load(self) -> None:
        try:
            data = json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))
            self.paths = {p for p in data.get("paths", ()) if _relative(p)}
            self.trees = {p for p in data.get("trees", ()) if _relative(p)}
        except FileNotFoundError:
            self._adopt_legacy()
        except (OSError, ValueError, AttributeError, TypeError):
            self.paths, self.trees = set(), set()

    def _adopt_legacy(self) -> None:
        """A folder built before the manifest existed: its site, PDF, dashboard and caches are ours."""
        html = self.out / "html"
        site = html.is_dir() and not html.is_symlink() and _generated_page(html / "index.html")
        if not site and not any((self.out / CACHE / name).is_dir() for name in ("charts", "pdf", "history")):
            return
        self.trees = {CACHE, "html/pagefind"}
        self.paths = {p for p in ("report.pdf", "dashboard/index.html") if (self.out / p).is_file()}
        if site:
            self.paths.add("html")
            self.paths |= {p.relative_to(self.out).as_posix() for p in html.rglob("*") if not p.is_dir()}
        self._save()

    def _save(self) -> None:
        data = {
            "about": "what reportgen wrote into this folder: it replaces or deletes nothing else",
            "paths": sorted(self.paths),
            "trees": sorted(self.trees),
        }
        write_text(self.out / MANIFEST, json.dumps(data, ensure_ascii=False, indent=1) + "\n")

    # --- tidying ------------------------------------------------------------------------

    def clean_stale(self) -> None:
        """Tidy what a killed build left: its temporary files go; a folder it moved aside
        (``.html.old``) and did not replace goes back into place.  Only the build's own."""
        names: dict[Path, set[str]] = {}
        for rel in self.paths:
            if not any(rel.startswith(other + "/") for other in self.paths):  # inside html/: swapped whole
                path = self.out / rel
                names.setdefault(path.parent, set()).add(path.name)
        names.setdefault(self.out, set()).add(MANIFEST)
        for folder, owned in names.items():
            self._clean_folder(folder, owned)
        for tree in self.trees:
            for path in sorted((self.out / tree).rglob(".*.tmp"), reverse=True):
                _delete(path)

    @staticmethod
    def _clean_folder(folder: Path, owned: set[str]) -> None:
        try:
            entries = sorted(os.listdir(folder))
        except OSError:
            return
        pattern = re.compile(r"\.(.+)\.[^.]+\.tmp|\.(.+)\.old")
        for entry in entries:
            match = pattern.fullmatch(entry)
            if match is None:
                continue
            path = folder / entry
            if match.group(1) in owned:
                _delete(path)
            elif match.group(2) in owned:
                if not os.path.lexists(folder / match.group(2)):
                    os.replace(path, folder / match.group(2))
                else:
                    _delete(path)


def _relative(rel) -> bool:
    """True for a plain relative path that stays inside the folder (a hand-edited manifest cannot reach out)."""
    return isinstance(rel, str) and rel != "" and not rel.startswith("/") and ".." not in rel.split("/")


def _generated_page(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return b'<meta name="generator" content="reportgen">' in handle.read(4096)
    except OSError:
        return False


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        _remove(path)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def unsafe_out(source: Path, out: Path) -> str | None:
    """Why ``out`` must not be an output folder, or None: outputs never mix with a source or a home."""
    try:
        src, dest = source.resolve(), out.resolve()
    except (OSError, RuntimeError) as error:
        return f"--out cannot be used: {error}"
    if dest == src:
        return "--out is the report source itself; choose an output folder such as SOURCE/build"
    if src.is_relative_to(dest):
        return f"--out is a folder that holds the report source ({src}); choose an output folder inside it or elsewhere"
    if dest == Path(dest.anchor):
        return "--out is the root of the file system; choose an output folder such as SOURCE/build"
    if dest == Path.home().resolve():
        return "--out is the home folder; choose an output folder such as SOURCE/build"
    if (dest / "report.yaml").is_file():
        return "--out holds a report.yaml: it is a report source, not an output folder"
    return None
