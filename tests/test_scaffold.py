"""`reportgen new` and `reportgen init`: growing a source and starting next year's.

Results are read back with the project's own reader and built as HTML.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.author.scaffold import ManifestEditError, insert_sections
from reportgen.cli import main
from reportgen.errors import Diagnostics
from reportgen.load.reader import load_report
from reportgen.model import Status

MANIFEST = """\
# 测试报告的清单
title: 2031 测试社年度报告   # 封面上的标题
subtitle: 第 2031 期
year: 2031
logo: assets/logo.svg

# 章节顺序
sections:
  - sections/01-intro.md
  # 财务在理事会之前
  - sections/02-finance.md
  - sections/03-board.md

editions:
  public:
    unfinished: omit
"""

SECTIONS = {
    "sections/01-intro.md": """\
        ---
        owner: 林
        due: 2031-02-28
        status: done
        extra:
          icon: x.png
        ---

        # 引言

        去年的正文，有[链接](https://example.org)。
        """,
    "sections/02-finance.md": """\
        ---
        owner: 韩   # 财务负责人
        reviewers:
          - 孟
        owners:
          预算: 顾
        ---

        # 👁️财务报告

        正文。

        ## ✅预算

        | 项 | 数 |
        | --- | --- |
        | 甲 | 1 |

        ### 明细

        ## ✍️决算
        """,
    "sections/03-board.md": """\
        # 2031 年理事会

        只有正文，没有任何标记。

        ## 2031 届成员
        """,
}

LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>\n'


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def source(tmp_path) -> Path:
    root = tmp_path / "src"
    files = {
        "report.yaml": MANIFEST,
        "assets/logo.svg": LOGO,
        "templates/print.css": "/* ours */\n",
        **{k: textwrap.dedent(v) for k, v in SECTIONS.items()},
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def load(source: Path):
    diags = Diagnostics()
    report = load_report(source, diags)
    assert report is not None and not diags.errors, [str(d) for d in diags.errors]
    return report


def added_lines(before: str, after: str) -> list[str]:
    """The lines ``after`` has beyond ``before``, checking every old line kept its place."""
    old, new = before.split("\n"), after.split("\n")
    added = [line for line in new if line not in old]
    assert [line for line in new if line not in added] == old
    return added


# --- reportgen new ------------------------------------------------------------------------------


def test_new_appends_a_section_marked_editing_and_keeps_the_manifest_text(source):
    result = run("new", "预算说明", "--owner", "张三", "--due", "2031-03-01", "--source", source)
    assert result.exit_code == 0, result.output
    text = (source / "report.yaml").read_text(encoding="utf-8")
    assert added_lines(MANIFEST, text) == ["  - sections/04-yu-suan-shuo-ming.md"]
    report = load(source)
    new = report.sections[-1]
    assert (new.path, new.title, new.root.own_status) == (
        "sections/04-yu-suan-shuo-ming.md",
        "预算说明",
        Status.EDITING,
    )
    assert (new.root.owner, new.root.due) == ("张三", "2031-03-01")
    assert (source / new.path).read_text(encoding="utf-8").endswith("# ✍️预算说明\n")


def test_new_refuses_a_title_a_section_has_already(source):
    before = (source / "report.yaml").read_text(encoding="utf-8")
    title = load(source).sections[1].title
    result = run("new", title, "--source", source)
    assert result.exit_code == 1
    assert f"sections/02-finance.md: error: a section titled '{title}' exists already" in result.output
    assert (source / "report.yaml").read_text(encoding="utf-8") == before


def test_new_after_a_section_goes_right_below_it_with_a_name_that_sorts_there(source):
    result = run("new", "Budget notes", "--after", "01-intro", "--source", source)
    assert result.exit_code == 0, result.output
    assert [s.path for s in load(source).sections] == [
        "sections/01-intro.md",
        "sections/01a-budget-notes.md",
        "sections/02-finance.md",
        "sections/03-board.md",
    ]
    text = (source / "report.yaml").read_text(encoding="utf-8")
    assert "  - sections/01a-budget-notes.md\n  # 财务在理事会之前\n" in text


def test_new_takes_the_free_next_number_when_it_still_sorts_in_place(tmp_path):
    root = tmp_path / "gap"
    (root / "sections").mkdir(parents=True)
    (root / "report.yaml").write_text(
        "title: 甲\nyear: 2031\nsections:\n- sections/01-a.md\n- sections/05-b.md\n", encoding="utf-8"
    )
    for name in ("01-a.md", "05-b.md"):
        (root / "sections" / name).write_text("# ✅甲\n\n字。\n", encoding="utf-8")
    assert run("new", "中间", "--after", "sections/01-a.md", "--source", root).exit_code == 0
    assert [s.path for s in load(root).sections] == [
        "sections/01-a.md",
        "sections/02-zhong-jian.md",
        "sections/05-b.md",
    ]


def test_new_after_an_unknown_section_is_an_error_naming_the_ids(source):
    result = run("new", "甲", "--after", "zz", "--source", source)
    assert result.exit_code == 1
    assert (
        "report.yaml: error: no section 'zz' to insert after (sections: 01-intro, 02-finance, 03-board)"
        in result.output
    )
    assert (source / "report.yaml").read_text(encoding="utf-8") == MANIFEST


def test_new_refuses_a_date_that_is_not_iso(source):
    result = run("new", "甲", "--due", "2031/3/1", "--source", source)
    assert result.exit_code == 2
    assert "must be a date as YYYY-MM-DD" in result.output


def test_insert_sections_keeps_quotes_and_refuses_flow_lists():
    quoted = "title: t\nyear: 2031\nsections:\n    - 'sections/a.md'\n"
    assert insert_sections(quoted, ["sections/b.md"]).endswith("    - 'sections/a.md'\n    - 'sections/b.md'\n")
    with pytest.raises(ManifestEditError):
        insert_sections("title: t\nsections: [sections/a.md]\n", ["sections/b.md"])


# --- reportgen init ------------------------------------------------------------------------------


def test_init_writes_a_small_source_that_builds(tmp_path):
    dest = tmp_path / "new"
    result = run("init", dest, "--year", "2031")
    assert result.exit_code == 0, result.output
    report = load(dest)
    assert (report.manifest.title, report.manifest.year) == ("2031 年度报告", 2031)
    assert len(report.sections) == 3
    assert {u.own_status for s in report.sections for u in s.units()} == {Status.EDITING, Status.REVIEWING, Status.DONE}
    assert "# " in (dest / "report.yaml").read_text(encoding="utf-8")
    built = run("build", dest, "--format", "html")
    assert built.exit_code == 0, built.output
    assert (dest / "build" / "html" / "files" / "assets" / "logo.svg").is_file()


def test_init_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path):
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "notes.txt").write_text("x", encoding="utf-8")
    refused = run("init", dest)
    assert refused.exit_code == 1
    assert f"{dest}: error: folder is not empty" in refused.output
    assert not (dest / "report.yaml").exists()
    assert run("init", dest, "--force").exit_code == 0
    assert (dest / "report.yaml").is_file() and (dest / "notes.txt").is_file()


@pytest.fixture
def next_year(source, tmp_path) -> Path:
    dest = tmp_path / "next"
    result = run("init", dest, "--from", source)
    assert result.exit_code == 0, result.output
    return dest


def test_next_year_has_every_unit_editing_and_the_same_headings(source, next_year):
    before, after = load(source), load(next_year)
    assert [s.path for s in after.sections] == [s.path for s in before.sections]
    heads = lambda r: [(h.level, h.title.replace("2032", "2031")) for s in r.sections for h in s.root.walk()]  # noqa: E731
    assert heads(after) == heads(before)
    units = [u for s in after.sections for u in s.units()]
    assert units and {u.own_status for u in units} == {Status.EDITING}
    assert all(s.root.status is Status.EDITING for s in after.sections)
    assert all(s.root.words == 0 for s in after.sections)


def test_next_year_advances_the_year_and_keeps_the_manifest_comments(next_year):
    text = (next_year / "report.yaml").read_text(encoding="utf-8")
    assert "title: 2032 测试社年度报告   # 封面上的标题" in text
    assert "subtitle: 第 2032 期" in text and "year: 2032" in text
    assert "# 财务在理事会之前" in text
    assert load(next_year).manifest.year == 2032


def test_next_year_keeps_owners_moves_due_dates_and_drops_extra(next_year):
    report = load(next_year)
    intro, finance, _ = report.sections
    assert (intro.front.owner, intro.front.due, intro.front.status, intro.front.extra) == (
        "林",
        "2032-02-28",
        Status.EDITING,
        {},
    )
    assert (finance.front.owner, finance.front.reviewers, finance.front.owners) == ("韩", ("孟",), {"预算": "顾"})
    assert "owner: 韩   # 财务负责人" in (next_year / "sections/02-finance.md").read_text(encoding="utf-8")
    assert [(h.title, h.owner) for h in finance.root.walk()][1] == ("预算", "顾")


def test_next_year_marks_a_section_without_units_and_moves_the_year_in_its_title(next_year):
    assert (next_year / "sections/03-board.md").read_text(encoding="utf-8") == "# ✍️2032 年理事会\n\n## 2031 届成员\n"


def test_next_year_carries_templates_and_assets_and_builds(next_year):
    assert (next_year / "templates" / "print.css").read_text(encoding="utf-8") == "/* ours */\n"
    assert (next_year / "assets" / "logo.svg").read_text(encoding="utf-8") == LOGO
    built = run("build", next_year, "--format", "html")
    assert built.exit_code == 0, built.output
    assert "✍️" in (next_year / "build" / "html" / "02-finance.html").read_text(encoding="utf-8")


def test_next_year_can_jump_to_a_given_year(source, tmp_path):
    dest = tmp_path / "later"
    assert run("init", dest, "--from", source, "--year", "2034").exit_code == 0
    report = load(dest)
    assert (report.manifest.year, report.manifest.title) == (2034, "2034 测试社年度报告")
    assert report.sections[0].front.due == "2034-02-28"


def test_init_from_a_folder_without_a_manifest_is_an_error(tmp_path):
    result = run("init", tmp_path / "x", "--from", tmp_path)
    assert result.exit_code == 1
    assert "error: no report.yaml here" in result.output
