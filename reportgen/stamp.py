"""The record of the last successful build, so that a build whose inputs did not change does nothing.

A build's outputs follow from: the files of the source folder (sections,
assets, templates, the manifest), the program (the ``reportgen`` package,
WeasyPrint's version), the options, ``SOURCE_DATE_EPOCH``, today's date (the
dashboard says what is overdue) and the git history around the source (the
dashboard's progress over time).  `fingerprint` digests the names, sizes and
modification times of all of them — a stat per file, nothing read — and
`record` keeps it in ``OUT/.cache/build-stamp.json`` with the diagnostics the
build gave and the outputs it wrote.  `replay` answers a later build with
the same fingerprint whose outputs are still as written: the CLI prints the
same diagnostics and writes nothing, without importing the pipeline.

Not covered, and so never stamped: reports that fetch remote resources
(their content may change at any time).  Installed fonts are not part of
the fingerprint; after changing them, delete ``OUT/.cache``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from pathlib import Path

NAME = "build-stamp.json"
#: Folders never part of a source: version control, environments, caches.
SKIPPED = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", ".hypothesis"}
)
#: Files of a git repository whose change means the history may have changed.
GIT_FILES = ("HEAD", "index", "packed-refs", "logs/HEAD")


def fingerprint(source: Path, out: Path, options: dict) -> str:
    """A digest of everything the build's outputs follow from (see the module docstring)."""
    digest = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode())
    digest.update(f"{os.environ.get('SOURCE_DATE_EPOCH', '')}\0{datetime.date.today()}\0{_weasyprint()}\0".encode())
    for root in (source, Path(__file__).parent):
        _walk(root, out, digest)
    git = _git_dir(source)
    if git is not None:
        for name in GIT_FILES:
            _stat(git / name, digest)
    return digest.hexdigest()


def _walk(root: Path, out: Path, digest) -> None:
    skip = {str(out.resolve())}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED
            and os.path.join(folder, d) not in skip
            and not os.path.isfile(os.path.join(folder, d, ".cache", NAME))
        )  # another build's output
        for name in sorted(files):
            _stat(Path(folder, name), digest)


def _stat(path: Path, digest) -> None:
    try:
        stat = path.stat()
    except OSError:
        digest.update(f"{path}\0-\0".encode())
        return
    digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())


def _git_dir(source: Path) -> Path | None:
    for folder in (source.resolve(), *source.resolve().parents):
        if (folder / ".git").is_dir():
            return folder / ".git"
    return None


def _weasyprint() -> str:
    """WeasyPrint's version, from its installed metadata's folder name (no import)."""
    from importlib.util import find_spec

    spec = find_spec("weasyprint")
    if spec is None or spec.origin is None:
        return ""
    site = Path(spec.origin).parent.parent
    return ",".join(sorted(p.name for p in site.glob("weasyprint-*.dist-info")))


def replay(out: Path, digest: str) -> dict | None:
    """The last build's record, if it had this fingerprint and its outputs are untouched."""
    try:
        record = json.loads((out / ".cache" / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("fingerprint") != digest:
        return None
    for path, size, mtime in record.get("written", []):
        try:
            stat = (out / path).stat()
        except OSError:
            return None
        if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
            return None
    return record


def record(out: Path, digest: str, diagnostics: list[str], written: list[Path], omitted: list[str]) -> None:
    """Keep what a successful build gave, for `replay`.  Paths are kept relative to
    ``out``: nothing of the machine's folders goes into an output."""
    from reportgen import output

    entries = []
    for path in written:
        stat = path.stat()
        entries.append([path.resolve().relative_to(out.resolve()).as_posix(), stat.st_size, stat.st_mtime_ns])
    data = {"fingerprint": digest, "diagnostics": diagnostics, "written": entries, "omitted": omitted}
    output.write_text(out / ".cache" / NAME, json.dumps(data, ensure_ascii=False))


def forget(out: Path) -> None:
    (out / ".cache" / NAME).unlink(missing_ok=True)
