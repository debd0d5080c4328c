"""The command line through click's CliRunner, and once end to end."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from reportgen.cli import main

GOOD = {"a.md": "---\nowner: 张三\n---\n# ✅引言\n\n正文。\n", "b.md": "# 👁️财务\n\n## 预算\n\n数字。\n"}


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


def test_build_writes_html_and_reports_what_it_wrote(make_source):
    source = make_source(GOOD)
    result = run("build", source, "--format", "html")
    assert result.exit_code == 0, result.output
    assert (source / "build" / "html" / "index.html").is_file()
    assert (source / "build" / "html" / "a.html").is_file()
    assert "wrote" in result.output


def test_out_option_chooses_the_folder(make_source, tmp_path):
    source = make_source(GOOD)
    result = run("build", source, "--out", tmp_path / "elsewhere", "--format", "html")
    assert result.exit_code == 0
    assert (tmp_path / "elsewhere" / "html" / "index.html").is_file()


def test_error_exits_1_with_path_and_line_and_writes_nothing(make_source):
    source = make_source({"a.md": "---\nstatus: finished\n---\n# 甲\n"})
    result = run("build", source, "--format", "html")
    assert result.exit_code == 1
    assert "sections/a.md:2: error: unknown status 'finished' (allowed: editing, reviewing, done" in result.output
    assert not (source / "build" / "html").exists()


def test_strict_turns_warnings_into_failure(make_source):
    source = make_source({"a.md": "# 甲\n\n## 🎉庆祝\n"})
    assert run("build", source, "--format", "html").exit_code == 0
    result = run("build", source, "--format", "html", "--strict")
    assert result.exit_code == 1
    assert "warning: unknown status marker" in result.output


def test_unknown_format_and_edition_are_usage_errors(make_source):
    source = make_source(GOOD)
    assert run("build", source, "--format", "docx").exit_code == 2
    assert run("build", source, "--edition", "secret").exit_code == 2


def test_a_folder_without_report_yaml_is_a_clear_error(tmp_path):
    result = run("build", tmp_path)
    assert result.exit_code == 1
    assert "no report.yaml here" in result.output


def test_check_reports_every_problem_without_rendering(make_source):
    source = make_source(
        {"a.md": "---\nowner: NO\ndue: tomorrow\n---\n# 甲\n", "b.md": "# 乙\n\n![x](../../etc/passwd)\n"}
    )
    result = run("check", source)
    assert result.exit_code == 1
    assert "sections/a.md:2: error: 'owner' must be text, but YAML read it as false" in result.output
    assert 'quote it: owner: "…"' in result.output
    assert "sections/a.md:3: error: 'due' must be a date as YYYY-MM-DD, got 'tomorrow'" in result.output
    assert "sections/b.md:3: error: image points outside the report" in result.output
    assert not (source / "build").exists()


def test_python_dash_m_runs_the_same_cli(make_source):
    source = make_source(GOOD)
    done = subprocess.run([sys.executable, "-m", "reportgen", "check", str(source)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "ok: no errors" in done.stderr


def test_help_lists_every_command_with_its_own_summary():
    from reportgen import build, cli

    result = run("--help")
    assert result.exit_code == 0
    for name, (module, attribute, summary) in cli.LAZY.items():
        command = getattr(__import__(module, fromlist=[attribute]), attribute)
        assert command.name == name and (command.help or "").startswith(summary), name
        assert name in result.output
    assert cli.FORMATS == build.FORMATS


def test_a_rebuild_with_nothing_changed_writes_nothing_and_repeats_the_warnings(make_source):
    source = make_source({**GOOD, "c.md": "# 空白\n"})
    first = run("build", source, "--format", "html,dashboard")
    assert first.exit_code == 0, first.output
    page = source / "build" / "html" / "a.html"
    before = page.stat().st_mtime_ns
    warnings = [line for line in first.output.splitlines() if ": warning: " in line]
    assert warnings
    again = run("build", source, "--format", "html,dashboard")
    assert again.exit_code == 0
    assert [line for line in again.output.splitlines() if ": warning: " in line] == warnings
    assert "up to date:" in again.output and page.stat().st_mtime_ns == before
    # a changed source, other options, or a missing output: built again
    (source / "sections" / "a.md").write_text("# ✅引言\n\n改过的正文。\n", encoding="utf-8")
    assert "wrote" in run("build", source, "--format", "html,dashboard").output
    assert "改过的正文" in page.read_text(encoding="utf-8")
    assert "wrote" in run("build", source, "--format", "html").output
    (source / "build" / "dashboard" / "index.html").unlink()
    assert "wrote" in run("build", source, "--format", "html,dashboard").output
    assert (source / "build" / "dashboard" / "index.html").is_file()
