"""The command line: a thin layer over the pipeline.

Diagnostics go to stderr as ``path:line: error|warning: message``.  Exit 0 on
success, 1 when the report has errors (or warnings under ``--strict``), 2 for
a usage error.  A user's mistake never ends in a traceback.
"""

from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path
from types import MappingProxyType

import click

from reportgen import __version__, errors
from reportgen.errors import Diagnostics, ReportError

SOURCE = click.argument("source", default=".", type=click.Path(file_okay=False, path_type=Path))

#: The outputs of a build (reportgen.build.FORMATS, kept here so the command line starts
#: without importing the pipeline; a test checks the two agree).
FORMATS = ("pdf", "html", "dashboard")

#: Commands that live beside their own stage: name → (module, attribute, one-line help).
#: Each module is imported only when its command runs, so ``--help`` and ``status``
#: start fast; a test checks each line against the command's own help.
LAZY = MappingProxyType(
    {
        "import": (
            "reportgen.author.importer",
            "import_command",
            "Import a Markdown document (one section per top-level heading), Hugo/Jekyll posts,",
        ),
        "init": (
            "reportgen.author.scaffold",
            "init_command",
            "Start a report source in DIR: a small working example, or next year's from --from.",
        ),
        "new": (
            "reportgen.author.scaffold",
            "new_command",
            "Add a section called TITLE: a new file marked ✍️ editing, listed in report.yaml.",
        ),
        "serve": (
            "reportgen.serve",
            "serve_command",
            "Preview the report in SOURCE in a browser; pages update on every save.",
        ),
        "status": (
            "reportgen.status",
            "status_command",
            "Show what is done, what waits for review, who owns what and what is late.",
        ),
        "translate": (
            "reportgen.author.translate",
            "translate_group",
            "Translations of the sections: start one, record that it is current, show what changed.",
        ),
    }
)


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command runs."""

    def list_commands(self, ctx) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY])

    def get_command(self, ctx, name: str):
        if name in LAZY:
            module, attribute, _ = LAZY[name]
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        """Every command behind the one guard: a fault of reportgen is one error line and exit 1."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            if errors.debugging():
                raise
            diags = Diagnostics()
            errors.unexpected(error, diags)
            _report(diags)
            raise SystemExit(1) from None

    def format_commands(self, ctx, formatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY:
                rows.append((name, click.Command(name, help=LAZY[name][2]).get_short_help_str(limit)))
            else:
                rows.append((name, super().get_command(ctx, name).get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
@click.option("--debug", is_flag=True, help=f"Show the traceback of a fault of reportgen (as {errors.DEBUG}=1 does).")
def main(debug: bool) -> None:
    """Compile a collaboratively written yearly report into a PDF, an HTML edition and a dashboard."""
    warnings.showwarning = _show_warning
    if debug:  # in the environment, so the preview's child builds see it too
        os.environ[errors.DEBUG] = "1"


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
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    callback=_formats,
    show_default=True,
    help="Comma-separated outputs to build.",
)
@click.option("--edition", type=click.Choice(["draft", "public"]), default="draft", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (and, in the public edition, unfinished units).")
@click.option(
    "--pdf-engine",
    type=click.Choice(["auto", "book", "single"]),
    default="auto",
    show_default=True,
    help="book: chapters typeset in parallel and cached (fast rebuilds); single: one pass, the "
    "reference rendering; auto: book for drafts, single for the public edition.",
)
@click.option("--only", metavar="ID", help="Build a review copy of one section into OUT/review/ID/.")
@click.option(
    "--lang",
    metavar="TAG|all",
    help="Build the edition in this language of report.yaml 'languages' "
    "(into OUT/TAG/report.pdf and OUT/html/TAG/), or in all of them [default: the source language].",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only diagnostics.")
@click.option(
    "--diagnostics-json",
    type=click.Path(dir_okay=False, path_type=Path),
    hidden=True,
    help="Also write every diagnostic as one JSON line to this file (the preview's channel).",
)
def build_command(
    source: Path,
    out: Path | None,
    formats,
    edition: str,
    strict: bool,
    pdf_engine: str,
    only: str | None,
    lang: str | None,
    quiet: bool,
    diagnostics_json: Path | None,
) -> None:
    """Build the report in SOURCE (default: the current folder)."""
    told: list[str] = []
    try:
        _build(source, out, formats, edition, strict, pdf_engine, only, lang, quiet, told)
    except ReportError as error:
        told.append(error.format_message())
        raise
    finally:
        if diagnostics_json is not None:
            _write_diagnostics(diagnostics_json, told)


def _write_diagnostics(path: Path, told: list[str]) -> None:
    """``{"severity", "text"}`` per line, written whole or not at all."""
    import json

    from reportgen import output

    records = [{"severity": "error" if ": error: " in line else "warning", "text": line} for line in told]
    output.write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def _build(
    source: Path,
    out: Path | None,
    formats,
    edition: str,
    strict: bool,
    pdf_engine: str,
    only: str | None,
    lang: str | None,
    quiet: bool,
    told: list[str],
) -> None:
    from reportgen import output, stamp

    _require_source(source)
    out = out or source / "build"
    settings = dict(
        source=str(source.resolve()),
        out=str(out.resolve()),
        formats=formats,
        edition=edition,
        strict=strict,
        pdf_engine=pdf_engine,
        only=only,
        lang=lang,
        version=__version__,
    )
    refusal = output.unsafe_out(source, out)
    if refusal:
        raise ReportError(f"{out}: error: {refusal}")
    if out.is_dir():  # what a killed build left goes, whether or not anything is rebuilt
        tidy = output.OutputFolder(out)
        tidy.acquire(on_wait=lambda text: click.echo(text, err=True))
        try:
            tidy.clean_stale()
        finally:
            tidy.release()
    # The public edition's folder is published whole: no record of the build is kept in it.
    stamped = edition != "public"
    digest = stamp.fingerprint(source, out, settings) if stamped else ""
    unchanged = stamp.replay(out, digest) if stamped else None
    if unchanged is not None:  # nothing the outputs follow from changed: say what the last build said
        told += unchanged.get("diagnostics", [])
        _unchanged(unchanged, out, quiet)
        return
    if "html" in formats:  # Pagefind gets ready on the other core while the pipeline is imported and runs
        from reportgen.render import search

        search.start(source, keep=False)
    from reportgen.build import BuildOptions, SilentProgress, build

    options = BuildOptions(
        source=source,
        out=out,
        formats=formats,
        edition=edition,
        strict=strict,
        pdf_engine=pdf_engine,
        only=only,
        lang=lang,
    )
    if quiet:  # nothing is shown, so rich (~70 ms of imports) is not needed
        result = build(options, SilentProgress())
    else:
        from reportgen.progress import Progress

        with Progress(quiet) as progress:
            result = build(options, progress)
    if stamped and result.ok and not result.diagnostics.failed(strict) and not _fetches_remote(source):
        _stamp(stamp.record, out, digest, [str(d) for d in result.diagnostics.items], result.written, result.omitted)
    else:
        _stamp(stamp.forget, out)
    told += [str(d) for d in result.diagnostics.items]
    _finish(result, strict, quiet)


def _stamp(action, *args) -> None:
    """Record (or forget) the build for the no-change check: a shortcut, so a folder that
    cannot hold the record costs only the shortcut, never the build's result."""
    try:
        action(*args)
    except OSError:
        pass


def _fetches_remote(source: Path) -> bool:
    """True when the manifest asks for remote resources, whose content may change any time."""
    import yaml

    try:
        remote = (yaml.safe_load((source / "report.yaml").read_text(encoding="utf-8")) or {}).get("remote")
    except (OSError, yaml.YAMLError, AttributeError):
        return True
    return isinstance(remote, dict) and bool(remote.get("fetch"))


def _unchanged(record: dict, out: Path, quiet: bool) -> None:
    for line in record.get("diagnostics", []):
        click.echo(line, err=True)
    _omitted(record.get("omitted", []), quiet)
    if not quiet:
        for path, _size, _mtime in record.get("written", []):
            click.echo(f"up to date: {out / path}", err=True)


@main.command("check")
@SOURCE
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check_command(source: Path, strict: bool) -> None:
    """Run every check of the sources without rendering anything."""
    from reportgen.load.reader import load_report
    from reportgen.load.remote import fetch_remote

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
        raise ReportError(
            f"{source}: error: no report.yaml here; run reportgen in a report source folder "
            "or pass its path (reportgen build PATH)"
        )


def _report(diags: Diagnostics) -> None:
    for diagnostic in diags.items:
        click.echo(str(diagnostic), err=True)


def _finish(result, strict: bool, quiet: bool) -> None:
    _report(result.diagnostics)
    _omitted(result.omitted, quiet)
    if result.diagnostics.failed(strict):
        errors, warnings = len(result.diagnostics.errors), len(result.diagnostics.warnings)
        click.echo(
            f"build failed: {errors} error(s), {warnings} warning(s); previous outputs left as they were", err=True
        )
        raise SystemExit(1)
    if not quiet:
        for path in result.written:
            click.echo(f"wrote {path}", err=True)


def _omitted(lines: list[str], quiet: bool) -> None:
    if lines and not quiet:
        click.echo(f"public edition: left out {len(lines)} unfinished unit(s):", err=True)
        for line in lines:
            click.echo(f"  {line}", err=True)
