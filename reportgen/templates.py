"""The theming seam: Jinja2 templates, the source's own first, then the packaged ones.

A report overrides a template by putting a file of the same name in its
``templates/`` folder.  Autoescape is on for every template, whatever its name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

PACKAGED = Path(__file__).parent / "templates"


@lru_cache(maxsize=8)
def environment(source: Path) -> jinja2.Environment:
    loaders = []
    if (source / "templates").is_dir():
        loaders.append(jinja2.FileSystemLoader(str(source / "templates")))
    loaders.append(jinja2.FileSystemLoader(str(PACKAGED)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render(source: Path, name: str, **context) -> str:
    return environment(source.resolve()).get_template(name).render(**context)


def read(source: Path, name: str) -> str:
    """A static template file (CSS, JS) as text, the source's own copy first."""
    own = source / "templates" / name
    return (own if own.is_file() else PACKAGED / name).read_text(encoding="utf-8")
