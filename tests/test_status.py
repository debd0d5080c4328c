"""The status model as `reportgen status` shows it: units, markers, people, words, overdue, --json, --check."""

from __future__ import annotations

import datetime
import json

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.errors import Diagnostics
from reportgen.load.reader import load_report
from reportgen.status import share_text, status_data, units

NODE_KEYS = {
    "id",
    "title",
    "file",
    "line",
    "level",
    "status",
    "own_status",
    "owner",
    "due",
    "overdue",
    "words",
    "children",
}
SECTION_KEYS = NODE_KEYS | {"extra", "part"}
"""A top-level section also carries the front matter of other tools and the part it is in."""
DAY = datetime.date(2025, 3, 10)


def data_of(make_source, sections: dict[str, str], today: datetime.date = DAY) -> dict:
    diags = Diagnostics()
    report = load_report(make_source(sections), diags)
    assert not diags.errors, [str(d) for d in diags.errors]
    return status_data(report, today)


def by_title(data: dict) -> dict[str, dict]:
    from reportgen.status import walk

    return {node["title"]: node for _, node in walk(data["sections"])}


def run(*args):
    return CliRunner().invoke(main, ["status", *map(str, args)], catch_exceptions=False)


# --- what a unit is ---------------------------------------------------------------------------


def test_markers_with_and_without_variation_selector(make_source):
    data = data_of(
        make_source,
        {
            "a.md": """
        # 章

        ## ✍️ 甲

        ## ✍ 乙

        ## 👁️ 丙

        ## 👁 丁

        ## ✅ 戊
    """
        },
    )
    nodes = by_title(data)
    assert {t: nodes[t]["own_status"] for t in "甲乙丙丁戊"} == {
        "甲": "editing",
        "乙": "editing",
        "丙": "reviewing",
        "丁": "reviewing",
        "戊": "done",
    }
    assert data["counts"] == {"editing": 2, "reviewing": 2, "done": 1, "unmarked": 0}


def test_bold_after_marker_gives_the_plain_title(make_source):
    data = data_of(make_source, {"a.md": "# 章\n\n## ✅ **财务**\n\n正文。\n"})
    unit = units(data)[0]
    assert unit["title"] == "财务"
    assert unit["own_status"] == "done"


@pytest.mark.parametrize(
    "word, status",
    [("reviewing", "reviewing"), ("审核中", "reviewing"), ("done", "done"), ("已完成", "done"), ("编辑中", "editing")],
)
def test_front_matter_status_in_english_and_chinese(make_source, word, status):
    data = data_of(make_source, {"a.md": f"---\nstatus: {word}\n---\n# 引言\n\n正文。\n"})
    section = data["sections"][0]
    assert (section["own_status"], section["status"]) == (status, status)
    assert sum(data["counts"].values()) == 1


def test_file_without_any_status_is_one_unmarked_unit(make_source):
    data = data_of(make_source, {"a.md": "# ✅ 甲\n\n正文。\n", "b.md": "# 乙\n\n## 小节\n\n没有标记。\n"})
    assert data["counts"] == {"editing": 0, "reviewing": 0, "done": 1, "unmarked": 1}
    assert data["sections"][1]["status"] == "unmarked"
    assert data["percent_done"] == 50.0


def test_structure_heading_shows_least_advanced_unit_below(make_source):
    data = data_of(
        make_source,
        {
            "a.md": """
        # 年度工作

        ## 活动

        ### ✅ 年会

        ### 👁️ 沙龙

        ## ✍️ 财务

        ## 附注

        没有单元的小节。
    """
        },
    )
    nodes = by_title(data)
    assert (nodes["活动"]["status"], nodes["活动"]["own_status"]) == ("reviewing", None)
    assert (nodes["年度工作"]["status"], nodes["年度工作"]["own_status"]) == ("editing", None)
    # children are the headings that carry or contain units
    assert [c["title"] for c in nodes["年度工作"]["children"]] == ["活动", "财务"]
    assert [c["title"] for c in nodes["活动"]["children"]] == ["年会", "沙龙"]


def test_owner_and_due_inherited_and_owners_map_per_heading(make_source):
    data = data_of(
        make_source,
        {
            "a.md": """
        ---
        owner: 张三
        due: 2025-04-01
        owners:
          财务: 李四
        ---
        # 章

        ## ✅ 概况

        ## ✍️ 财务

        ### 👁️ 预算
    """
        },
    )
    nodes = by_title(data)
    assert {t: nodes[t]["owner"] for t in ("章", "概况", "财务", "预算")} == {
        "章": "张三",
        "概况": "张三",
        "财务": "李四",
        "预算": "李四",
    }
    assert {node["due"] for node in nodes.values()} == {"2025-04-01"}


def test_words_count_each_cjk_character_and_each_latin_or_digit_run(make_source):
    data = data_of(
        make_source,
        {
            "a.md": """
        # ✍️ 章

        收入 100 元，hello world。

        ## ✅ 节

        GitHub上的repo 2024年
    """
        },
    )
    nodes = by_title(data)
    assert nodes["节"]["words"] == 6  # GitHub 上 的 repo 2024 年; the heading itself does not count
    assert nodes["章"]["words"] == 6 + 6  # 收 入 100 元 hello world, plus its subsection


def test_overdue_is_past_due_and_not_done(make_source):
    sections = {"a.md": "---\ndue: 2025-03-01\n---\n# 章\n\n## ✅ 完成的\n\n## 👁️ 审核的\n"}
    late = by_title(data_of(make_source, sections, today=datetime.date(2025, 3, 2)))
    assert (late["完成的"]["overdue"], late["审核的"]["overdue"], late["章"]["overdue"]) == (False, True, True)
    on_the_day = by_title(data_of(make_source, sections, today=datetime.date(2025, 3, 1)))
    assert not any(node["overdue"] for node in on_the_day.values())


# --- the command ---------------------------------------------------------------------------------


SOURCE = {
    "a.md": """
        ---
        owner: 张三
        due: 2000-01-01
        ---
        # 引言

        ## ✅ 背景

        一二三

        ## 👁️ 展望

        四五
    """,
    "b.md": "---\nstatus: done\nid: money\n---\n# 财务\n\n收入。\n",
}


def test_json_has_exactly_the_documented_shape_and_values(make_source):
    result = run(make_source(SOURCE), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"title", "year", "counts", "percent_done", "sections"}
    assert (data["title"], data["year"]) == ("测试报告", 2026)
    assert data["counts"] == {"editing": 0, "reviewing": 1, "done": 2, "unmarked": 0}
    assert data["percent_done"] == pytest.approx(100 * 2 / 3)
    first, second = data["sections"]
    assert set(first) == SECTION_KEYS and set(first["children"][0]) == NODE_KEYS
    assert {
        k: first[k]
        for k in ("id", "title", "file", "line", "level", "status", "own_status", "owner", "due", "overdue", "words")
    } == {
        "id": "a",
        "title": "引言",
        "file": "sections/a.md",
        "line": 5,
        "level": 1,
        "status": "reviewing",
        "own_status": None,
        "owner": "张三",
        "due": "2000-01-01",
        "overdue": True,
        "words": 5,
    }
    background, outlook = first["children"]
    assert (background["title"], background["line"], background["level"]) == ("背景", 7, 2)
    assert (background["overdue"], outlook["overdue"]) == (False, True)
    assert background["id"].startswith("a#") and background["children"] == []
    assert (second["id"], second["own_status"], second["owner"], second["due"]) == ("money", "done", None, None)


def test_terminal_table_lists_sections_with_totals(make_source):
    result = run(make_source(SOURCE))
    assert result.exit_code == 0, result.output
    for text in ("引言", "背景", "展望", "财务", "张三", "2000-01-01", "逾期", "审核中", "已完成", "66.7%"):
        assert text in result.stdout


def test_terminal_table_of_an_english_report_speaks_english(make_source):
    source = make_source({"a.md": "---\ndue: 2000-01-01\n---\n# 👁️Intro\n\nText.\n"}, manifest={"language": "en"})
    result = run(source)
    assert result.exit_code == 0, result.output
    shown = " ".join(result.stdout.split())  # the totals line may wrap
    for text in ("Section", "Status", "Owner", "Due", "reviewing", "1 units", "overdue 1", "0% done"):
        assert text in shown, text
    assert not any(word in shown for word in ("章节", "状态", "审核中", "逾期", "完成"))


@pytest.mark.parametrize("percent, shown", [(0.0, "0"), (100 / 7, "14.3"), (99.96, "99.9"), (100.0, "100")])
def test_share_done_is_one_decimal_and_never_a_false_100(percent, shown):
    assert share_text(percent) == shown


def test_check_exits_1_and_names_each_unit_not_done(make_source):
    result = run(make_source(SOURCE), "--check")
    assert result.exit_code == 1
    assert "sections/a.md:11: reviewing: 展望 (张三)" in result.stderr
    assert "check: 1 of 3 unit(s) not done (1 reviewing)" in result.stderr


def test_check_passes_when_every_unit_is_done(make_source):
    result = run(make_source({"a.md": "# ✅ 甲\n\n## ✅ 乙\n"}), "--check", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["percent_done"] == 100.0
    assert "all 2 unit(s) done" in result.stderr


def test_check_counts_an_unmarked_file_as_not_done(make_source):
    result = run(make_source({"a.md": "# ✅ 甲\n", "b.md": "# 乙\n\n正文。\n"}), "--check")
    assert result.exit_code == 1
    assert "1 unmarked" in result.stderr


def test_source_errors_go_to_stderr_and_exit_1(make_source):
    result = run(make_source({"a.md": "---\nstatus: finished\n---\n# 甲\n"}), "--json")
    assert result.exit_code == 1
    assert "sections/a.md:2: error: unknown status 'finished'" in result.stderr
    assert result.stdout == ""


def test_folder_without_manifest_is_an_error_not_a_traceback(tmp_path):
    result = run(tmp_path)
    assert result.exit_code == 1
    assert "report.yaml" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_warnings_go_to_stderr_and_json_stays_clean(make_source):
    result = run(make_source({"a.md": "# ✍️ 甲\n"}), "--json")
    assert result.exit_code == 0
    assert "sections/a.md:1: warning: section is empty" in result.stderr
    assert json.loads(result.stdout)["counts"]["editing"] == 1
