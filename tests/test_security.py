"""A source is untrusted: building it runs nothing from it, reads nothing from outside it,
and the public edition carries nothing private.

Each test builds a hostile source made here and checks what a user (or an
attacker) would see: a marker file a command would have created, bytes from
outside the source in an output, a name in the public site, a traceback.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen import history
from reportgen.cli import main

from tests.test_hostile import SECRET, assert_outputs_safe


def run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


# --- git: a repository's configuration runs nothing ------------------------------------------


def git(source: Path, *args: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_DATE="2025-01-01T09:00:00+08:00", GIT_COMMITTER_DATE="2025-01-01T09:00:00+08:00")
    subprocess.run(["git", *args], cwd=source, env=env, check=True, capture_output=True)


@pytest.fixture
def hostile_repo(make_source, tmp_path):
    """A report in git whose .git/config and .gitattributes name commands that each leave a marker."""
    source = make_source({"a.md": "# ✍️甲\n\n正文。\n", "b.md": "# ✅乙\n\n正文。\n"})
    markers = tmp_path / "markers"
    markers.mkdir()
    script = tmp_path / "evil.sh"
    script.write_text(f'#!/bin/sh\ntouch "{markers}/$1"\ncat\n', encoding="utf-8")
    script.chmod(0o755)
    git(source, "init", "-q")
    git(source, "config", "user.name", "测试者")
    git(source, "config", "user.email", "tester@example.org")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "first")
    hooks = source / ".git" / "hooks"
    for hook in ("post-index-change", "pre-commit", "post-checkout", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\n{script} hook-{hook}\n", encoding="utf-8")
        (hooks / hook).chmod(0o755)
    settings = {
        "core.fsmonitor": f"{script} fsmonitor", "core.pager": f"{script} pager", "pager.log": f"{script} pagerlog",
        "diff.external": f"{script} external", "diff.evil.textconv": f"{script} textconv",
        "diff.evil.command": f"{script} diffcommand", "filter.evil.clean": f"{script} clean",
        "filter.evil.smudge": f"{script} smudge", "filter.evil.process": f"{script} process",
        "core.sshCommand": f"{script} ssh", "credential.helper": f"!{script} credential",
        "gpg.program": f"{script} gpg", "log.showSignature": "true", "core.editor": f"{script} editor",
    }
    for key, value in settings.items():
        git(source, "config", key, value)
    (source / ".gitattributes").write_text("* filter=evil diff=evil\n", encoding="utf-8")
    # A change not yet committed, so anything that compares the working tree has work to do.
    (source / "sections" / "a.md").write_text("# ✍️甲\n\n改过的正文。\n", encoding="utf-8")
    (source / "sections" / "notes.txt").write_text("丙\n", encoding="utf-8")
    os.utime(source / "sections" / "b.md", (1, 1))  # stale stat data: git would re-read (and filter) it
    return source, markers


def test_git_configuration_in_a_source_runs_nothing(hostile_repo, tmp_path):
    source, markers = hostile_repo
    out = tmp_path / "out"
    code, text = run("build", source, "--out", out, "--format", "html,dashboard")
    assert code == 0, text
    assert run("status", source)[0] == 0
    assert run("status", source, "--json")[0] == 0
    (source / "sections" / "b.md").write_text("# ✅乙\n\n又改了。\n", encoding="utf-8")
    assert run("build", source, "--out", out, "--format", "dashboard")[0] == 0  # the preview's rebuild
    assert sorted(p.name for p in markers.iterdir()) == []
    page = (out / "dashboard" / "index.html").read_text(encoding="utf-8")
    assert "测试者" in page  # git was still read: the last commit's author is shown


def test_uncommitted_changes_are_found_without_git_status(hostile_repo):
    source, markers = hostile_repo
    changes = history.last_changes(source, ["sections/a.md", "sections/b.md", "sections/notes.txt"])
    assert changes["sections/a.md"].uncommitted and changes["sections/a.md"].author == "测试者"
    assert not changes["sections/b.md"].uncommitted  # touched, not changed
    assert changes["sections/notes.txt"].uncommitted and changes["sections/notes.txt"].date is None
    assert history.revision(source).endswith("+")
    assert list(markers.iterdir()) == []


# --- templates: sandboxed, confined, errors with their line ----------------------------------


def template_source(make_source, template: str, name: str = "section.html") -> Path:
    return make_source({"a.md": "# ✅甲\n\n正文。\n"}, extra={f"templates/{name}": template})


def test_a_template_cannot_reach_python(make_source, tmp_path):
    marker = tmp_path / "ran"
    source = template_source(make_source, f"""\
        {{% extends "base.html" %}}
        {{% block main %}}
        {{{{ cycler.__init__.__globals__.os.popen("touch {marker}").read() }}}}
        {{% endblock %}}
        """)
    code, text = run("build", source, "--out", tmp_path / "out", "--format", "html")
    assert code == 1
    assert "templates/section.html:3: error: " in text and "__init__" in text
    assert not marker.exists()
    assert not (tmp_path / "out" / "html").exists()


@pytest.mark.parametrize("template, line, words", [
    ("{% extends 'base.html' %}\n{% block main %}\n{% if %}\n{% endblock %}\n", 3, "expected an expression"),
    ("<p>\n\n{{ no_such_thing.title }}\n</p>\n", 3, "'no_such_thing' is undefined"),
    ("{{ 'a' }}\n{% for x in %}{% endfor %}\n", 2, "expected an expression"),
])
def test_a_template_error_names_the_file_and_line(make_source, tmp_path, template, line, words):
    source = template_source(make_source, template)
    code, text = run("build", source, "--out", tmp_path / "out", "--format", "html")
    assert code == 1
    lines = [entry for entry in text.splitlines() if entry.startswith(f"templates/section.html:{line}: error: ")]
    assert lines and words in lines[0].lower(), text


def test_a_template_linked_to_a_file_outside_is_not_read(make_source, tmp_path):
    (tmp_path / "secret.html").write_text(SECRET, encoding="utf-8")
    source = make_source({"a.md": "# ✅甲\n\n正文。\n"})
    (source / "templates").mkdir()
    (source / "templates" / "section.html").symlink_to(tmp_path / "secret.html")
    (source / "templates" / "style.css").write_text("body{}", encoding="utf-8")
    os.link(tmp_path / "secret.html", source / "templates" / "search.html")
    out = tmp_path / "out"
    code, text = run("build", source, "--out", out, "--format", "html")
    assert code == 1
    assert "templates/section.html: error: not read: it points outside the folder" in text
    assert not (out / "html").exists()
    (source / "templates" / "section.html").unlink()
    code, text = run("build", source, "--out", out, "--format", "html")
    assert code == 1 and "templates/search.html: error: not read: it is a hard link" in text
    (source / "templates" / "search.html").unlink()
    assert run("build", source, "--out", out, "--format", "html")[0] == 0
    assert_outputs_safe(out, [SECRET])
