"""What a long build shows while it runs: its stages, and a bar for work done section by section.

`Progress` is what the build pipeline calls (``stage(name)`` when a stage
begins, ``section(done, total, name)`` as sections are finished).  In a
terminal it draws them with rich on stderr: a spinner and the current stage,
a bar with ``done/total`` once sections are counted, and one line per stage
that ended, with its time.  Anywhere else (a pipe, a log file, CI) or with
``quiet=True`` it prints nothing at all, so the only output is the
diagnostics.
"""

from __future__ import annotations

import time

from rich.console import Console


class Progress:
    """Stages and per-section progress of one build; a context manager around it."""

    def __init__(self, quiet: bool = False, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.live = not quiet and self.console.is_terminal
        """True when something is shown: a terminal, and not quiet."""
        self._bar = None
        self._task = None
        self._stage: str | None = None
        self._started = 0.0

    def __enter__(self) -> "Progress":
        if self.live:
            from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("building…", total=None)
        return self

    def __exit__(self, kind, error, trace) -> None:
        if self._bar is None:
            return
        if kind is None:
            self._end_stage()
        self._bar.stop()
        self._bar = None

    def stage(self, name: str) -> None:
        """A new stage begins; the previous one is listed as done with its time."""
        if self._bar is None:
            return
        self._end_stage()
        self._stage, self._started = name, time.perf_counter()
        self._bar.update(self._task, description=f"{name}…", total=None, completed=0)

    def section(self, done: int, total: int, name: str = "") -> None:
        """``done`` of ``total`` sections of the current stage are finished; ``name`` is the latest."""
        if self._bar is None:
            return
        label = f"{self._stage or 'building'} {done}/{total}"
        self._bar.update(
            self._task, description=f"{label} · {name}" if name else label, total=total, completed=done, refresh=True
        )  # each section shows, however quick

    def _end_stage(self) -> None:
        if self._stage is not None:
            seconds = time.perf_counter() - self._started
            self._bar.console.print(f"[green]✓[/green] {self._stage} [dim]{seconds:.1f} s[/dim]", highlight=False)
            self._stage = None
