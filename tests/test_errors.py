"""The one error boundary: whatever fails in a build is one ``path:line: error:`` and exit 1.

A raising book worker, an output folder that cannot be written, a broken
template of the source and a fault of reportgen itself each end the build
with exactly one error line at the best place known, no traceback, nothing
half-written, the previous outputs and the user's own files as they were.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen import errors
from reportgen.cli import main
from reportgen.pdf import book
from reportgen.render import body, templates

SECTIONS = {"a.md": "# ✅甲\n\n正文。\n", "b.md": "# ✅乙\n\n乙的正文。\n", "c.md": "# ✅丙\n\n正文。\n"}
ERROR = re.compile(r"^([^\s:][^:]*?)(?::(\d+))?: error: ", re.M)


def build(source: Path, out: Path, *args: str):
    """``reportgen build`` with every exception surfaced: a traceback fails the test."""
    result = CliRunner().invoke(main, ["build", str(source), "--out", str(out), *args], catch_exceptions=False)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def one_error(result) -> tuple[str, int | None]:
    """The build failed with exactly one error line; its path and line."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    found = ERROR.findall(result.output)
    assert len(found) == 1, result.output
    path, line = found[0]
    return path, int(line) if line else None


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file the user sees in ``out`` (the build's own cache and lock aside)."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(out).parts and p.name != ".reportgen-lock"
    }


@pytest.fixture
def built(make_source, tmp_path):
    """A source built once (HTML and dashboard) into OUT, with a user's own file in OUT."""
    source, out = make_source(SECTIONS), tmp_path / "out"
    assert build(source, out, "--format", "html,dashboard").exit_code == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "html" / "extra.txt").write_text("mine too", encoding="utf-8")
    return source, out, snapshot(out)


def test_a_raising_book_worker_is_one_error_at_its_section(make_source, tmp_path, monkeypatch):
    source, out = make_source(SECTIONS), tmp_path / "out"
    assert build(source, out, "--format", "pdf", "--pdf-engine", "book").exit_code == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = snapshot(out)
    real = book._render

    def render(html, *args):  # the workers are forked after this, so they typeset with it
        if "坏" in html:
            raise RuntimeError("the typesetter broke")
        return real(html, *args)

    monkeypatch.setattr(book, "_render", render)
    (source / "sections" / "b.md").write_text("\n# ✅乙\n\n坏的正文。\n", encoding="utf-8")
    result = build(source, out, "--format", "pdf", "--pdf-engine", "book")
    assert one_error(result) == ("sections/b.md", 2)
    assert "RuntimeError: the typesetter broke" in result.output
    assert snapshot(out) == before


def test_an_output_folder_inside_a_file_is_one_error(make_source, tmp_path):
    source = make_source(SECTIONS)
    (tmp_path / "file").write_text("a file, not a folder", encoding="utf-8")
    result = build(source, tmp_path / "file" / "out", "--format", "html")
    path, _ = one_error(result)
    assert path.startswith(str(tmp_path / "file")) and "cannot write the outputs" in result.output
    assert (tmp_path / "file").read_text(encoding="utf-8") == "a file, not a folder"


def test_a_folder_where_an_output_file_goes_is_one_error(built):
    source, out, before = built
    page = out / "dashboard" / "index.html"
    page.unlink()
    page.mkdir()
    (page / "kept.txt").write_text("mine", encoding="utf-8")
    del before["dashboard/index.html"]
    before["dashboard/index.html/kept.txt"] = b"mine"
    result = build(source, out, "--format", "dashboard")
    path, _ = one_error(result)
    assert path.startswith(str(out))
    assert snapshot(out) == before


@pytest.mark.parametrize(
    "template, line",
    [
        ("{% extends 'base.html' %}\n{% block main %}\n{% for %}\n{% endblock %}\n", 3),  # syntax
        ("<main>\n{{ 1 // 0 }}\n</main>\n", 2),  # raises while rendering
    ],
)
def test_a_broken_source_template_is_one_error_at_its_line(built, template, line):
    source, out, before = built
    (source / "templates").mkdir()
    (source / "templates" / "section.html").write_text(template, encoding="utf-8")
    templates.environment.cache_clear()  # a templates/ folder new since the last build in this process
    result = build(source, out, "--format", "html,dashboard")
    assert one_error(result) == ("templates/section.html", line)
    assert snapshot(out) == before


def test_a_fault_of_reportgen_is_one_error_at_the_section_it_was_rendering(built, monkeypatch):
    source, out, before = built
    real = body.render

    def render(md, tokens, env, ctx):
        if ctx.section_id == "b":
            raise KeyError("no such token")
        return real(md, tokens, env, ctx)

    monkeypatch.setattr(body, "render", render)
    with (source / "sections" / "b.md").open("a", encoding="utf-8") as f:
        f.write("\n又一段。\n")  # so its page is rendered again, not reused from the last build
    result = build(source, out, "--format", "html")
    assert one_error(result) == ("sections/b.md", 1)
    assert "internal error: KeyError" in result.output and errors.DEBUG in result.output
    assert snapshot(out) == before


def test_a_fault_outside_any_section_is_reported_at_reportgens_line_and_debug_shows_it(built, monkeypatch):
    source, out, before = built
    from reportgen.render import dashboard

    def broken(*args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(dashboard, "render_dashboard", broken)
    path, line = one_error(build(source, out, "--format", "dashboard"))
    assert path == "reportgen/build.py" and line
    assert snapshot(out) == before
    monkeypatch.delenv(errors.DEBUG, raising=False)
    with pytest.raises(ZeroDivisionError):  # the traceback a developer asks for
        CliRunner().invoke(
            main, ["--debug", "build", str(source), "--out", str(out), "--format", "dashboard"], catch_exceptions=False
        )
    assert snapshot(out) == before


def test_a_fault_in_another_command_is_one_line_too(make_source, monkeypatch):
    from reportgen.load import reader

    source = make_source(SECTIONS)

    def broken(*args, **kwargs):
        raise AttributeError("a bug")

    monkeypatch.setattr(reader, "load_report", broken)
    monkeypatch.delenv(errors.DEBUG, raising=False)
    result = CliRunner().invoke(main, ["status", str(source)], catch_exceptions=False)
    path, line = one_error(result)
    assert path == "reportgen/status.py" and line and "AttributeError: a bug" in result.output


def test_the_build_writes_its_diagnostics_to_a_channel_for_the_preview(make_source, tmp_path):
    import json

    source = make_source({"a.md": "# ✅甲\n\n[缺](nowhere.md)\n"}, extra={"templates/section.html": "{% if %}\n"})
    channel = tmp_path / "told.jsonl"
    result = build(source, tmp_path / "out", "--format", "html", "--diagnostics-json", str(channel))
    records = [json.loads(line) for line in channel.read_text(encoding="utf-8").splitlines()]
    printed = [line for line in result.output.splitlines() if re.search(r": (error|warning): ", line)]
    assert [r["text"] for r in records] == printed and printed
    assert {r["severity"] for r in records} == {"error", "warning"}
    (source / "report.yaml").unlink()  # an error before the build starts goes into the channel too
    assert build(source, tmp_path / "out", "--diagnostics-json", str(channel)).exit_code == 1
    assert "no report.yaml here" in json.loads(channel.read_text(encoding="utf-8"))["text"]
