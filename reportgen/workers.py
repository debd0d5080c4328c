"""Worker processes a build forks: how many, and that none outlives the build.

The PDF's typesetting (`pdf/book.py`) and the drawing of many charts
(`render/charts.py`) run in pools of processes forked from the build, so they
inherit the parsed report and the imported libraries instead of receiving them
pickled.  A forked worker waits on a queue whose other end its siblings also
hold, so when the build is killed (``kill -9``, a CI timeout) the queue never
closes and the worker would wait for ever; each therefore asks the kernel to
kill it when the build ends (Linux's parent-death signal).
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal a process gets when the thread that forked it ends."""


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def pool(count: int, initializer=None) -> ProcessPoolExecutor:
    """``count`` workers, all forked at the first submission, that end with this process;
    each runs ``initializer`` first."""
    return ProcessPoolExecutor(
        count, mp_context=multiprocessing.get_context("fork"), initializer=_start, initargs=(os.getpid(), initializer)
    )


def give_back_memory() -> None:
    """Collect this worker's garbage and hand the freed heap back to the system.

    A document's layout is garbage once it is written, much of it in reference cycles;
    and glibc keeps what Python frees for reuse (a worker held ~140 MB more after a
    47-page document than after ``malloc_trim``), so two workers between documents would
    carry the peak of their last one into the next."""
    gc.collect()
    trim()


def trim() -> None:
    """Hand what this process has freed back to the system (glibc keeps it otherwise)."""
    try:
        _LIBC.malloc_trim(0)
    except AttributeError:  # not glibc: the memory is reused in this process instead
        pass


def _libc():
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


_LIBC = _libc()


def _start(parent: int, initializer) -> None:
    """Worker: end with the build, then do what every task of the pool needs first."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: a killed build may leave its workers waiting
        pass
    if os.getppid() != parent:  # the build ended before the signal was asked for
        os._exit(1)
    if initializer is not None:
        initializer()
