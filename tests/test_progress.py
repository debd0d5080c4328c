"""The progress display: stages and per-section progress in a terminal, nothing anywhere else."""

from __future__ import annotations

import io

from rich.console import Console

from reportgen.build import BuildOptions, build
from reportgen.progress import Progress


def terminal() -> tuple[Console, io.StringIO]:
    """A console that believes it writes to a terminal, and what it wrote."""
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=100, color_system=None), buffer


def run_stages(progress: Progress) -> None:
    with progress:
        progress.stage("reading sources")
        progress.stage("typesetting PDF")
        progress.section(3, 15, "03-finance")
        progress.section(15, 15, "15-appendix")


def test_a_terminal_shows_each_stage_and_the_sections_done():
    console, buffer = terminal()
    run_stages(Progress(console=console))
    shown = buffer.getvalue()
    assert "✓ reading sources" in shown and "✓ typesetting PDF" in shown
    assert "3/15" in shown and "03-finance" in shown


def test_not_a_terminal_shows_nothing():
    buffer = io.StringIO()
    progress = Progress(console=Console(file=buffer))
    run_stages(progress)
    assert not progress.live
    assert buffer.getvalue() == ""


def test_quiet_shows_nothing_even_in_a_terminal():
    console, buffer = terminal()
    progress = Progress(quiet=True, console=console)
    run_stages(progress)
    assert not progress.live
    assert buffer.getvalue() == ""


def test_a_failed_build_does_not_list_its_last_stage_as_done():
    console, buffer = terminal()
    try:
        with Progress(console=console) as progress:
            progress.stage("reading sources")
            progress.stage("typesetting PDF")
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert "✓ reading sources" in buffer.getvalue()
    assert "✓ typesetting PDF" not in buffer.getvalue()


def test_a_build_reports_its_stages(make_source, tmp_path):
    source = make_source({"a.md": "# ✅引言\n\n正文。\n"})
    console, buffer = terminal()
    with Progress(console=console) as progress:
        result = build(BuildOptions(source=source, out=tmp_path / "out", formats=("html",)), progress)
    assert result.ok
    assert "✓ reading sources" in buffer.getvalue()
    assert "✓ rendering HTML edition" in buffer.getvalue()
