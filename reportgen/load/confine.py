"""Which files of a folder may be read: regular files that really are inside it.

A report source (and a folder of posts to import, and last year's report) is
untrusted: a symbolic link in it may point anywhere on the build machine, and
a hard link is the same file as one elsewhere, with no way to tell where.
`inside` is the one test every reader of a source's files uses: the path,
with every link resolved, must stay inside the folder, name a regular file
(not a pipe, device or folder) and have no second name (link count 1).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def inside(root: Path, path: Path) -> Path | None:
    """``path`` resolved, when it is a regular file inside ``root`` with one name; else None."""
    try:
        real_root = root.resolve()
        real = path.resolve()
        if real != real_root and not real.is_relative_to(real_root):
            return None
        info = os.stat(real, follow_symlinks=False)
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        return None
    return real


def why_not(root: Path, path: Path) -> str:
    """Why `inside` refused ``path``, in words for a diagnostic."""
    try:
        real = path.resolve()
        if not real.is_relative_to(root.resolve()):
            return "it points outside the folder"
        info = os.stat(real, follow_symlinks=False)
    except (OSError, ValueError, RuntimeError):
        return "it does not exist"
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file"
    if info.st_nlink > 1:
        return "it is a hard link (a file with another name, possibly outside the folder)"
    return "it cannot be read"
