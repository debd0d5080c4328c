"""Diagnostics: every problem a user can meet, with its place in the source.

A problem is a `Diagnostic` (``path:line[:col]: error|warning: message``).
Stages add diagnostics to a `Diagnostics` collector and keep going, so one
build reports every problem; the build decides at the end whether to fail.
`ReportError` is the one exception a user can meet: the CLI prints it and
exits with its code, never a traceback.

Anything else a stage raises is a fault of reportgen, not of the report; the
one guard (`unexpected`, called by `build.build` and the CLI) turns it into
one error at the best place known: the innermost `at` the failure passed
through (a section and its line, a chart's line), else reportgen's own file
and line.
``REPORTGEN_DEBUG=1`` (or ``reportgen --debug``) lets the traceback through.
"""

from __future__ import annotations

import enum
import os
import traceback
from contextlib import contextmanager
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


DEBUG = "REPORTGEN_DEBUG"
"""The environment variable that lets an internal error's traceback through (``=1``)."""

_PLACE = "_reportgen_place"
"""The attribute `at` sets on an exception passing through it: (path, line)."""


def debugging() -> bool:
    return os.environ.get(DEBUG, "") not in ("", "0")


@contextmanager
def at(path: str, line: int | None = None):
    """Report any unexpected failure inside at ``path:line`` (the innermost `at` wins)."""
    try:
        yield
    except Exception as error:
        if not hasattr(error, _PLACE):
            try:
                setattr(error, _PLACE, (path, line))
            except AttributeError:  # an exception type with __slots__: the outer place is used
                pass
        raise


def unexpected(error: Exception, diags: Diagnostics) -> None:
    """The one guard: ``error``, which no stage expected, as one error at the best place known:
    the source place of the innermost `at` it passed through, else reportgen's own file and line."""
    code, code_line = crash_place(error)
    path, line = getattr(error, _PLACE, (code, code_line))
    where = f" (at {code}:{code_line})" if path != code else ""
    diags.error(
        path,
        line,
        f"internal error: {type(error).__name__}: {error}{where}; a fault of reportgen, "
        f"not of the report: {DEBUG}=1 shows the traceback",
    )


def crash_place(error: BaseException) -> tuple[str, int | None]:
    """The file of reportgen (or the library) and the line where ``error`` was raised."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "reportgen", None
    own = [f for f in frames if "/reportgen/" in f.filename.replace("\\", "/")]
    frame = (own or frames)[-1]
    name = frame.filename.replace("\\", "/")
    if "/reportgen/" in name:
        return "reportgen/" + name.rsplit("/reportgen/", 1)[1], frame.lineno
    return os.path.basename(name), frame.lineno
