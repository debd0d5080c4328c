"""Writing outputs so that nothing is ever half-written.

Every output is written beside its final place under a temporary name and
moved into place only when complete: an error or a kill in the middle of a
build leaves the previous ``report.pdf``, site and dashboard as they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Modes outputs get (mkstemp/mkdtemp make private files; a published site must be readable).
FILE_MODE = 0o666 & ~_umask()
DIR_MODE = 0o777 & ~_umask()


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

    def __init__(self, final: Path):
        final.parent.mkdir(parents=True, exist_ok=True)
        self.final = final
        self.path = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
        os.chmod(self.path, DIR_MODE)

    def commit(self) -> None:
        final = self.final
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(self.path, final)
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def clean_stale(out: Path) -> None:
    """Tidy what a killed build left: temporary files go; a folder that was moved
    aside (``.html.old``) and not replaced goes back into place."""
    if not out.is_dir():
        return
    for path in sorted(_leftovers(out, ".*.old")):
        final = path.with_name(path.name[1:-len(".old")])
        if not final.exists():
            os.replace(path, final)
        else:
            shutil.rmtree(path, ignore_errors=True)
    for path in sorted(_leftovers(out, ".*.tmp"), reverse=True):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else _remove(path)


#: Folders of OUT that other running builds own (the preview server's), never tidied here.
OTHERS = ("preview",)


def _leftovers(out: Path, pattern: str):
    return (p for p in out.rglob(pattern) if p.relative_to(out).parts[0] not in OTHERS)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
