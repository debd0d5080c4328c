"""The theming seam: Jinja2 templates, the source's own first, then the packaged ones.

A report overrides a template by putting a file of the same name in its
``templates/`` folder.  Autoescape is on for every template, whatever its name.

A source's templates are untrusted: they render in Jinja2's sandbox, which
refuses the attributes (``__globals__``, ``__class__`` …) that would reach
Python itself, and only regular files inside ``templates/`` are read (no
symbolic or hard link to a file elsewhere).  Any error in a template stops
the build as ``templates/NAME:LINE: error: …``.
"""

from __future__ import annotations

import traceback
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from reportgen.errors import ReportError
from reportgen.load import confine

PACKAGED = Path(__file__).parent.parent / "templates"


class TemplateError(ReportError):
    """A template could not be read or rendered; `path` and `line` say where."""

    def __init__(self, path: str, line: int | None, detail: str):
        super().__init__(f"{path}{f':{line}' if line else ''}: error: {detail}")
        self.path, self.line, self.detail = path, line, detail


class _ConfinedLoader(jinja2.BaseLoader):
    """The source's ``templates/``, each file only if `confine.inside` accepts it."""

    def __init__(self, source: Path):
        self.source, self.folder = source, source / "templates"

    def get_source(self, environment, template: str):
        wanted = self.folder / template
        path = confine.inside(self.source, wanted)
        if path is None:
            if wanted.exists() or wanted.is_symlink():
                raise TemplateError(f"templates/{template}", None, f"not read: {confine.why_not(self.source, wanted)}")
            raise jinja2.TemplateNotFound(template)
        text = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime
        return text, str(path), lambda: path.is_file() and path.stat().st_mtime == mtime


# Invalidated per template by Jinja2 itself (a changed file's mtime); a templates/ folder made
# after the first call is not seen until `environment.cache_clear()` (the preview calls it).
@lru_cache(maxsize=8)
def environment(source: Path) -> jinja2.Environment:
    loaders = []
    if (source / "templates").is_dir():
        loaders.append(_ConfinedLoader(source))
    loaders.append(jinja2.FileSystemLoader(str(PACKAGED)))
    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render(source: Path, name: str, **context) -> str:
    source = source.resolve()
    try:
        return environment(source).get_template(name).render(**context)
    except TemplateError:
        raise
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(_where(source, error.filename, error.name or name), error.lineno, error.message) from None
    except Exception as error:  # anything a template does wrong (undefined, unsafe, type errors) is its error
        filename, line = _template_frame(error, source)
        raise TemplateError(_where(source, filename, name), line, _message(error)) from None


def read(source: Path, name: str) -> str:
    """A static template file (CSS, JS) as text, the source's own copy first."""
    own = source / "templates" / name
    if own.exists() or own.is_symlink():
        path = confine.inside(source, own)
        if path is None:
            raise TemplateError(f"templates/{name}", None, f"not read: {confine.why_not(source, own)}")
        return path.read_text(encoding="utf-8")
    return (PACKAGED / name).read_text(encoding="utf-8")


def _template_frame(error: Exception, source: Path) -> tuple[str | None, int | None]:
    """The template file and line where ``error`` happened (Jinja2 rewrites tracebacks to show them)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.endswith((".html", ".css", ".js", ".svg", ".txt", ".xml")):
            found = (frame.filename, frame.lineno)
    return found


def _where(source: Path, filename: str | None, name: str) -> str:
    """A template's file as a diagnostic names it: relative to the source, or the packaged name."""
    if filename:
        path = Path(filename)
        for root, prefix in ((source, ""), (PACKAGED, "reportgen/templates/")):
            if path.is_relative_to(root):
                return prefix + path.relative_to(root).as_posix()
    return f"templates/{name}"


def _message(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, jinja2.exceptions.SecurityError):
        return f"not allowed in a template: {text}"
    return text
