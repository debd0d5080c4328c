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
        "core.fsmonitor": f"{script} fsmonitor",
        "core.pager": f"{script} pager",
        "pager.log": f"{script} pagerlog",
        "diff.external": f"{script} external",
        "diff.evil.textconv": f"{script} textconv",
        "diff.evil.command": f"{script} diffcommand",
        "filter.evil.clean": f"{script} clean",
        "filter.evil.smudge": f"{script} smudge",
        "filter.evil.process": f"{script} process",
        "core.sshCommand": f"{script} ssh",
        "credential.helper": f"!{script} credential",
        "gpg.program": f"{script} gpg",
        "log.showSignature": "true",
        "core.editor": f"{script} editor",
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
    source = template_source(
        make_source,
        f"""\
        {{% extends "base.html" %}}
        {{% block main %}}
        {{{{ cycler.__init__.__globals__.os.popen("touch {marker}").read() }}}}
        {{% endblock %}}
        """,
    )
    code, text = run("build", source, "--out", tmp_path / "out", "--format", "html")
    assert code == 1
    assert "templates/section.html:3: error: " in text and "__init__" in text
    assert not marker.exists()
    assert not (tmp_path / "out" / "html").exists()


@pytest.mark.parametrize(
    "template, line, words",
    [
        ("{% extends 'base.html' %}\n{% block main %}\n{% if %}\n{% endblock %}\n", 3, "expected an expression"),
        ("<p>\n\n{{ no_such_thing.title }}\n</p>\n", 3, "'no_such_thing' is undefined"),
        ("{{ 'a' }}\n{% for x in %}{% endfor %}\n", 2, "expected an expression"),
    ],
)
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


# --- the site holds what the tool made and what published units use ---------------------------

HOSTILE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'onload="alert(1)" width="10" height="10"><script>alert(2)</script>'
    b'<foreignObject><div xmlns="http://www.w3.org/1999/xhtml" onclick="alert(3)">x</div></foreignObject>'
    b'<a xlink:href="javascript:alert(4)"><rect width="5" height="5" fill="#c00"/></a>'
    b'<image href="https://tracker.example/pixel.png"/><set attributeName="href" to="javascript:alert(5)"/>'
    b'<rect width="2" height="2" style="fill:url(https://tracker.example/x)" onmouseover="alert(6)"/>'
    b'<circle r="3" fill="#0a0"/></svg>'
)
ACTIVE = ("<script", "onload", "onclick", "onmouseover", "foreignObject", "javascript:", "tracker.example")


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_a_source_file_never_replaces_a_generated_one(make_source, tmp_path):
    source = make_source(
        {
            "a.md": """\
        # ✅甲

        [脚本](../site.js) [首页](../index.html) [样式](../style.css) [搜索](../pagefind/pagefind.js)
        """
        },
        extra={
            "site.js": "alert('owned')",
            "index.html": "<script>alert(1)</script>",
            "style.css": "body{display:none}",
            "pagefind/pagefind.js": "alert('owned')",
        },
    )
    out = tmp_path / "out"
    code, text = run("build", source, "--out", out, "--format", "html")
    assert code == 0, text
    html = out / "html"
    assert "alert" not in (html / "site.js").read_text(encoding="utf-8")
    assert "<script>alert" not in (html / "index.html").read_text(encoding="utf-8")
    assert "display:none" not in (html / "style.css").read_text(encoding="utf-8")
    assert "alert('owned')" not in (html / "pagefind" / "pagefind.js").read_text(encoding="utf-8")
    assert (html / "files" / "style.css").read_text(encoding="utf-8") == "body{display:none}"  # a download
    page = (html / "a.html").read_text(encoding="utf-8")
    assert 'href="files/style.css"' in page
    for name in ("site.js", "index.html", "pagefind/pagefind.js"):
        assert (
            f"warning: linked file not published (a page or script would run on the site), shown as text: "
            f"../{name}" in text
        )
        assert not (html / "files" / name).exists()
    assert '<span class="broken-link">首页</span>' in page


def test_pages_scripts_and_hidden_files_linked_from_a_section_are_never_published(make_source, tmp_path):
    source = make_source(
        {
            "a.md": """\
        # ✅甲

        [页](../assets/page.htm) [脚本](../assets/x.mjs) [配置](../.env) [git](../.git/config) [表](../assets/t.xml)
        """
        },
        extra={
            "assets/page.htm": "<script>alert(1)</script>",
            "assets/x.mjs": "alert(1)",
            ".env": f"TOKEN={SECRET}",
            ".git/config": f"[remote]\nurl = {SECRET}",
            "assets/t.xml": "<?xml-stylesheet href='x.xsl'?><a/>",
        },
    )
    out = tmp_path / "out"
    code, text = run("build", source, "--out", out, "--format", "html,pdf")
    assert code == 0, text
    assert "sections/a.md:3: warning: linked file not published (a hidden file), shown as text: ../.env" in text
    assert "shown as text: ../.git/config" in text and "shown as text: ../assets/page.htm" in text
    assert files_under(out / "html" / "files") == set()
    assert_outputs_safe(out, [SECRET, "alert(1)"])


def test_svg_images_and_logo_are_published_sanitised(make_source, tmp_path):
    source = make_source(
        {"a.md": "# ✅甲\n\n![图](../assets/evil.svg)\n\n[下载图](../assets/other.svg)\n"},
        manifest={"logo": "assets/logo.svg"},
        extra={"assets/evil.svg": HOSTILE_SVG, "assets/logo.svg": HOSTILE_SVG, "assets/other.svg": HOSTILE_SVG},
    )
    out = tmp_path / "out"
    code, text = run("build", source, "--out", out, "--format", "html")
    assert code == 0, text
    published = out / "html" / "files" / "assets"
    assert files_under(published) == {"evil.svg", "logo.svg", "other.svg"}
    for svg in published.iterdir():
        data = svg.read_text(encoding="utf-8")
        assert not [piece for piece in ACTIVE if piece in data], (svg.name, data)
        assert '<circle r="3" fill="#0a0"' in data and 'fill="#c00"' not in data  # drawing kept, link dropped


def test_a_not_wellformed_svg_is_not_published(make_source, tmp_path):
    source = make_source(
        {"a.md": "# ✅甲\n\n![图](../assets/bad.svg)\n"},
        extra={"assets/bad.svg": b'<!DOCTYPE svg [<!ENTITY x SYSTEM "/etc/passwd">]><svg>&x;</svg>'},
    )
    out = tmp_path / "out"
    code, text = run("build", source, "--out", out, "--format", "html")
    assert code == 0
    assert "assets/bad.svg: warning: not published: not a well-formed SVG image" in text
    assert not (out / "html" / "files" / "assets" / "bad.svg").exists()


def test_a_file_only_a_left_out_unit_uses_is_not_published(make_source, tmp_path):
    from tests.conftest import PNG

    source = make_source(
        {
            "a.md": """\
        # 甲

        ## ✅完成

        ![公开](../assets/shown.png) [表](../assets/shown.csv)

        ## ✍️未完成

        ![草稿](../assets/draft.png) [草稿表](../assets/draft.csv)
        """
        },
        extra={
            "assets/shown.png": PNG,
            "assets/draft.png": PNG,
            "assets/shown.csv": "a\n1\n",
            "assets/draft.csv": "a\n2\n",
        },
    )
    out = tmp_path / "out"
    assert run("build", source, "--out", out, "--format", "html", "--edition", "public")[0] == 0
    assert files_under(out / "html" / "files") == {"assets/shown.png", "assets/shown.csv"}
    assert run("build", source, "--out", tmp_path / "draft", "--format", "html")[0] == 0
    assert files_under(tmp_path / "draft" / "html" / "files") == {
        f"assets/{n}" for n in ("shown.png", "draft.png", "shown.csv", "draft.csv")
    }


def test_hard_links_in_a_source_are_not_read(make_source, tmp_path):
    from tests.conftest import PNG

    (tmp_path / "secret.png").write_bytes(PNG + SECRET.encode())
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    source = make_source({"a.md": "# ✅甲\n\n![图](../assets/hard.png)\n\n[文](../assets/hard.txt)\n"})
    (source / "assets").mkdir()
    os.link(tmp_path / "secret.png", source / "assets" / "hard.png")
    os.link(tmp_path / "secret.txt", source / "assets" / "hard.txt")
    out = tmp_path / "out"
    code, text = run("build", source, "--out", out, "--format", "html,pdf")
    assert (
        "sections/a.md:3: warning: image not found, a placeholder is shown: ../assets/hard.png (it is a hard link"
        in text
    )
    assert (
        "sections/a.md:5: warning: linked file not found, link dropped: ../assets/hard.txt (it is a hard link" in text
    )
    assert code == 0
    assert_outputs_safe(out, [SECRET])


def test_import_copies_no_file_from_outside_the_blog(tmp_path):
    from tests.conftest import PNG

    blog = tmp_path / "blog"
    (blog / "posts").mkdir(parents=True)
    (tmp_path / "secret.png").write_bytes(PNG + SECRET.encode())
    (blog / "posts" / "leak.png").symlink_to(tmp_path / "secret.png")
    os.link(tmp_path / "secret.png", blog / "posts" / "hard.png")
    (blog / "posts" / "ok.png").write_bytes(PNG)
    (blog / "posts" / "2026-01-02-post.md").write_text(
        textwrap.dedent("""\
        ---
        title: 文章
        ---
        正文。

        ![d](../../../../../../../../etc/passwd) ![p](/etc/passwd) ![s](leak.png) ![h](hard.png) ![o](ok.png)
        """),
        encoding="utf-8",
    )
    into = tmp_path / "report"
    code, text = run("import", blog / "posts" / "2026-01-02-post.md", "--into", into)
    copied = files_under(into / "assets") if (into / "assets").exists() else set()
    assert copied == {"images/ok.png"}, text
    for path in into.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data and b"root:x:0:0" not in data, path


def test_init_from_copies_nothing_a_link_points_to(make_source, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    source = make_source({"a.md": "# ✅甲\n\n正文。\n"}, manifest={"year": 2026})
    (source / "assets").symlink_to(outside, target_is_directory=True)
    (source / "templates").mkdir()
    (source / "templates" / "own.css").write_text("p{}", encoding="utf-8")
    os.link(outside / "secret.txt", source / "templates" / "hard.css")
    (source / "templates" / "link.css").symlink_to(outside / "secret.txt")
    dest = tmp_path / "next"
    code, text = run("init", dest, "--from", source)
    assert code == 0, text
    assert files_under(dest) == {"report.yaml", "sections/a.md", "templates/own.css"}


# --- the public edition is private-data-free ---------------------------------------------------

REPO = Path(__file__).resolve().parent.parent


def output_texts(out: Path):
    """(relative path, text) of every output file: gzip (Pagefind's index) decompressed,
    a PDF's text layer, metadata, outline and named destinations included; file names too."""
    import gzip
    import io

    import pypdf

    from tests.test_hostile import pdf_text

    for path in sorted(p for p in out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        yield rel, rel
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        yield rel, data.decode("utf-8", errors="replace")
        if data.startswith(b"%PDF"):
            reader = pypdf.PdfReader(io.BytesIO(data))
            yield rel, pdf_text(data)
            yield rel, " ".join(reader.named_destinations)

            def titles(items):
                for item in items:
                    yield from titles(item) if isinstance(item, list) else [item.title]

            yield rel, " ".join(titles(reader.outline))


def front_matter_people(text: str) -> tuple[list[str], list[str]]:
    """Names (owner, reviewers, owners:) and due dates in a section's front matter."""
    import yaml

    front = yaml.safe_load(text.split("---\n", 2)[1]) if text.startswith("---\n") else {}
    names = [front.get("owner")] + list(front.get("reviewers") or []) + list((front.get("owners") or {}).values())
    return [n for n in names if n], [str(front["due"])] if front.get("due") else []


@pytest.fixture(scope="module")
def renamed_sample(tmp_path_factory):
    """A copy of the sample whose front-matter people carry names that appear nowhere in its text."""
    import re
    import shutil

    source = tmp_path_factory.mktemp("sample") / "src"
    source.mkdir()
    shutil.copy(REPO / "report.yaml", source)
    shutil.copytree(REPO / "sections", source / "sections")
    shutil.copytree(REPO / "assets", source / "assets")
    people: dict[str, str] = {}
    dues: set[str] = set()
    for path in sorted((source / "sections").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        names, due = front_matter_people(text)
        dues.update(due)
        _, front, body = text.split("---\n", 2)
        for name in names:
            people.setdefault(name, f"Qzperson{len(people):02d}x")
            front = re.sub(rf"(?<![\w]){re.escape(name)}(?![\w])", people[name], front)
        path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    everything = "".join(
        p.read_text(encoding="utf-8").split("---\n", 2)[-1] for p in (source / "sections").glob("*.md")
    )
    assert not [n for n in people.values() if n in everything]
    assert len(people) >= 15 and len(dues) >= 10  # the sample still has its people and dates
    out = source.parent / "public"
    # The colophon prints the date of the sources; pin it to a day no front matter names as due.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1801267200")  # 2027-01-30
        code, text = run("build", source, "--out", out, "--edition", "public")
    assert code == 0, text
    return source, out, sorted(people.values()), sorted(dues), text


def test_the_public_edition_holds_no_owner_reviewer_or_due_date(renamed_sample):
    source, out, names, dues, _ = renamed_sample
    found = [(rel, piece) for rel, text in output_texts(out) for piece in names + dues if piece in text]
    assert not found, found[:20]
    # The draft of the same source does carry them: the check can see them when they are there.
    draft = out.parent / "draft"
    assert run("build", source, "--out", draft, "--format", "html,dashboard")[0] == 0
    seen = {piece for _, text in output_texts(draft) for piece in names + dues if piece in text}
    assert set(names) <= seen and set(dues) <= seen


def test_the_public_edition_is_the_site_and_the_pdf_only(renamed_sample):
    from reportgen.output import OWN_FILES

    _, out, _, _, _ = renamed_sample
    # Beside them only the build's own record of the paths it wrote and its lock: no content,
    # and the privacy check above reads them too.
    assert sorted(p.name for p in out.iterdir() if p.name not in OWN_FILES) == ["html", "report.pdf"]


def test_the_public_edition_holds_no_unfinished_title(renamed_sample):
    from reportgen.errors import Diagnostics
    from reportgen.load.reader import load_report
    from reportgen.render.editions import select

    source, out, _, _, _ = renamed_sample
    report = load_report(source, Diagnostics())
    edition = select(report, "public", Diagnostics())
    # What the published text itself says may be said (a left-out unit's title can be a word of it).
    published = " ".join(t.content for view in edition.views for t in view.tokens) + report.manifest.title
    private = sorted({h.title for _, h in edition.omitted if h.title not in published})
    assert len(private) >= 5
    everything = {piece for rel, text in output_texts(out) for piece in private if piece in text}
    assert not everything


def test_links_to_left_out_units_are_text_with_a_warning(renamed_sample):
    source, out, _, _, text = renamed_sample
    assert (
        "sections/04-conference.md:81: warning: link to a part the public edition leaves out, shown as text: "
        "10-partners.md#" in text
    )
    pages = {p.name for p in (out / "html").glob("*.html")}
    import re

    for page in (out / "html").glob("*.html"):
        for href in re.findall(r'href="([^"#:]+\.html)(?:#[^"]*)?"', page.read_text(encoding="utf-8")):
            assert href in pages, f"{page.name} links to {href}, which the public edition does not contain"
    code, strict = run(
        "build", source, "--out", out.parent / "strict", "--edition", "public", "--strict", "--format", "html"
    )
    assert code == 1 and "error: link to a part the public edition leaves out" in strict


def test_a_public_review_copy_shows_no_people_or_dates(renamed_sample):
    source, out, names, dues, _ = renamed_sample
    code, text = run("build", source, "--out", out.parent / "review", "--edition", "public", "--only", "04-conference")
    assert code == 0, text
    review = out.parent / "review" / "review" / "04-conference"
    assert (review / "report.pdf").is_file()
    found = [(rel, piece) for rel, body in output_texts(review) for piece in names + dues if piece in body]
    assert not found and not [piece for piece in names + dues if piece in text]


def test_the_dashboard_alone_is_refused_in_the_public_edition(make_source, tmp_path):
    source = make_source({"a.md": "---\nowner: Qzsomebody\n---\n# ✅甲\n"})
    code, text = run("build", source, "--out", tmp_path / "out", "--edition", "public", "--format", "dashboard")
    assert code == 1 and "never part of the public edition" in text
    assert not (tmp_path / "out" / "dashboard").exists()


def test_a_static_template_or_chart_data_linked_outside_stops_the_build(make_source, tmp_path):
    (tmp_path / "secret.js").write_text(f"alert('{SECRET}')", encoding="utf-8")
    (tmp_path / "secret.csv").write_text(f"名称,数值\n{SECRET},1\n", encoding="utf-8")
    source = make_source({"a.md": "# ✅甲\n\n```chart\ntype: bar\ndata: assets/d.csv\nx: 名称\ny: 数值\n```\n"})
    (source / "templates").mkdir()
    (source / "templates" / "site.js").symlink_to(tmp_path / "secret.js")
    (source / "assets").mkdir()
    os.link(tmp_path / "secret.csv", source / "assets" / "d.csv")
    out = tmp_path / "out"
    code, text = run("build", source, "--out", out, "--format", "html,pdf")
    assert code == 1
    assert "error: chart: data file 'assets/d.csv' cannot be read: it is a hard link" in text
    (source / "assets" / "d.csv").unlink()
    (source / "assets" / "d.csv").write_text("名称,数值\n甲,1\n", encoding="utf-8")
    code, text = run("build", source, "--out", out, "--format", "html,pdf")
    assert code == 1 and "templates/site.js: error: not read: it points outside the folder" in text
    assert not (out / "html").exists() and not (out / "report.pdf").exists()


def test_a_pagefind_configuration_in_the_source_is_not_read(make_source, tmp_path, monkeypatch):
    """CI runs `reportgen build` in the source folder, where Pagefind would look for its configuration."""
    owned = tmp_path / "owned"
    source = make_source(
        {"a.md": "# ✅甲\n\n正文。\n"},
        extra={
            "pagefind.yml": f"output_path: {owned}\nroot_selector: nav\n",
            "pagefind.toml": f'output_path = "{owned}"\n',
        },
    )
    monkeypatch.chdir(source)
    out = tmp_path / "out"
    code, text = run("build", ".", "--out", out, "--format", "html")
    assert code == 0, text
    assert not owned.exists()
    assert (out / "html" / "pagefind" / "pagefind.js").is_file()


def test_the_preview_runs_no_python_file_of_the_source(make_source, tmp_path, monkeypatch):
    """`reportgen serve` is started in the source folder; its PDF builds must not import the
    source's own yaml.py (or any module it shadows) from there."""
    from reportgen.serve import Session
    from tests.test_serve import PDF_WAIT, get

    marker = tmp_path / "imported"
    source = make_source(
        {"a.md": "# ✅甲\n\n正文。\n"},
        extra={
            "yaml.py": f"open({str(marker)!r}, 'w').close()\n",
            "markdown_it.py": f"open({str(marker)!r}, 'w').close()\n",
        },
    )
    monkeypatch.chdir(source)
    session = Session(source, tmp_path / "preview", port=0, echo=lambda line: None)
    session.start()
    try:
        status, _, pdf = get(session.url + "report.pdf", timeout=PDF_WAIT)
        assert status == 200 and pdf.startswith(b"%PDF")
    finally:
        session.close()
    assert not marker.exists()
