"""The command line: a thin layer over the pipeline.

Diagnostics go to stderr as ``path:line: error|warning: message``.  Exit 0 on
success, 1 when the report has errors (or warnings under ``--strict``), 2 for
a usage error.  A user's mistake never ends in a traceback.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from reportgen import __version__
from reportgen.build import FORMATS, BuildOptions, BuildResult, build
from reportgen.errors import Diagnostics, ReportError
from reportgen.progress import Progress

SOURCE = click.argument("source", default=".", type=click.Path(file_okay=False, path_type=Path))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """Compile a collaboratively written yearly report into a PDF, an HTML edition and a dashboard."""
    warnings.showwarning = _show_warning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A library's warning (Pillow, numpy, matplotlib) as one line of reportgen's own, without
    the path of the library file that raised it (a virtual environment's, meaningless to a writer)."""
    click.echo(f"reportgen: warning: {category.__name__}: {message}", err=True)


def _formats(ctx, param, value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise click.BadParameter(f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    return names


@main.command("build")
@SOURCE
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [default: SOURCE/build].")
@click.option("--format", "formats", default=",".join(FORMATS), callback=_formats, show_default=True,
              help="Comma-separated outputs to build.")
@click.option("--edition", type=click.Choice(["draft", "public"]), default="draft", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (and, in the public edition, unfinished units).")
@click.option("--pdf-engine", type=click.Choice(["auto", "book", "single"]), default="auto", show_default=True,
              help="book: chapters typeset in parallel and cached (fast rebuilds); single: one pass, the "
                   "reference rendering; auto: book for drafts, single for the public edition.")
@click.option("--only", metavar="ID", help="Build a review copy of one section into OUT/review/ID/.")
@click.option("--quiet", "-q", is_flag=True, help="Print only diagnostics.")
def build_command(source: Path, out: Path | None, formats, edition: str, strict: bool, pdf_engine: str,
                  only: str | None, quiet: bool) -> None:
    """Build the report in SOURCE (default: the current folder)."""
    _require_source(source)
    options = BuildOptions(source=source, out=out or source / "build", formats=formats, edition=edition,
                           strict=strict, pdf_engine=pdf_engine, only=only)
    with Progress(quiet) as progress:
        result = build(options, progress)
    _finish(result, strict, quiet)


@main.command("check")
@SOURCE
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check_command(source: Path, strict: bool) -> None:
    """Run every check of the sources without rendering anything."""
    from reportgen.reader import load_report

    from reportgen.remote import fetch_remote

    _require_source(source)
    diags = Diagnostics()
    report = load_report(source, diags)
    if report is not None:
        fetch_remote(report, diags, network=False)
    _report(diags)
    if diags.failed(strict):
        raise SystemExit(1)
    click.echo(f"ok: no errors, {len(diags.warnings)} warning(s)", err=True)


def _require_source(source: Path) -> None:
    if not (source / "report.yaml").is_file():
        raise ReportError(f"{source}: error: no report.yaml here; run reportgen in a report source folder "
                          "or pass its path (reportgen build PATH)")


def _report(diags: Diagnostics) -> None:
    for diagnostic in diags.items:
        click.echo(str(diagnostic), err=True)


def _finish(result: BuildResult, strict: bool, quiet: bool) -> None:
    _report(result.diagnostics)
    if result.omitted and not quiet:
        click.echo(f"public edition: left out {len(result.omitted)} unfinished unit(s):", err=True)
        for line in result.omitted:
            click.echo(f"  {line}", err=True)
    if result.diagnostics.failed(strict):
        errors, warnings = len(result.diagnostics.errors), len(result.diagnostics.warnings)
        click.echo(f"build failed: {errors} error(s), {warnings} warning(s); previous outputs left as they were",
                   err=True)
        raise SystemExit(1)
    if not quiet:
        for path in result.written:
            click.echo(f"wrote {path}", err=True)


# --- commands that live beside their own stage ------------------------------------------
# Each module defines one click command; register it here with a single line.
from reportgen import status  # noqa: E402
main.add_command(status.status_command)
from reportgen import importer  # noqa: E402
main.add_command(importer.import_command)
from reportgen import scaffold  # noqa: E402
main.add_command(scaffold.new_command)
main.add_command(scaffold.init_command)
from reportgen import serve  # noqa: E402
main.add_command(serve.serve_command)
