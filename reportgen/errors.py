"""Diagnostics: every problem a user can meet, with its place in the source.

A problem is a `Diagnostic` (``path:line[:col]: error|warning: message``).
Stages add diagnostics to a `Diagnostics` collector and keep going, so one
build reports every problem; the build decides at the end whether to fail.
`ReportError` is the one exception a user can meet: the CLI prints it and
exits with its code, never a traceback.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import click


class Severity(enum.Enum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the source."""

    path: str
    """Path relative to the source folder, with forward slashes."""
    line: int | None
    """1-based line in that file (the file's own line, front matter included)."""
    severity: Severity
    message: str
    col: int | None = None

    def __str__(self) -> str:
        place = self.path
        if self.line is not None:
            place += f":{self.line}"
            if self.col is not None:
                place += f":{self.col}"
        return f"{place}: {self.severity.value}: {self.message}"


@dataclass
class Diagnostics:
    """Collects diagnostics in the order found; never raises by itself."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set, init=False, repr=False, compare=False)
    """What `items` holds, so a repeated diagnostic is dropped in constant time (20,000 bad links
    in one file would otherwise make recording quadratic)."""

    def __post_init__(self) -> None:
        self._seen = set(self.items)

    def error(self, path: str, line: int | None, message: str, col: int | None = None) -> None:
        self._add(Diagnostic(path, line, Severity.ERROR, message, col))

    def warning(self, path: str, line: int | None, message: str, col: int | None = None) -> None:
        self._add(Diagnostic(path, line, Severity.WARNING, message, col))

    def extend(self, other: "Diagnostics") -> None:
        for item in other.items:
            self._add(item)

    def _add(self, diagnostic: Diagnostic) -> None:
        if diagnostic not in self._seen:
            self._seen.add(diagnostic)
            self.items.append(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def failed(self, strict: bool = False) -> bool:
        """True when the build must exit 1: any error, or any warning under --strict."""
        return bool(self.errors or (strict and self.warnings))


class ReportError(click.ClickException):
    """A problem that stops a command; printed without a traceback, exit 1."""

    exit_code = 1

    def __init__(self, message: str, diagnostics: Diagnostics | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics

    def show(self, file=None) -> None:  # click calls this instead of printing a traceback
        click.echo(self.format_message(), err=True)
