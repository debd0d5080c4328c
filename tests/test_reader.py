"""Loading a source: manifest, order, front matter, markers and the heading tree."""

from __future__ import annotations

from reportgen.errors import Diagnostics
from reportgen.load.reader import load_report
from reportgen.model import Status


def load(source):
    diags = Diagnostics()
    report = load_report(source, diags)
    return report, [str(d) for d in diags.items]


def test_sections_follow_the_manifest_order(make_source):
    source = make_source({"b.md": "# 乙\n", "a.md": "# 甲\n"})
    report, _ = load(source)
    assert [s.title for s in report.sections] == ["乙", "甲"]


def test_missing_and_unlisted_files_are_errors_naming_them(make_source):
    source = make_source(
        {"a.md": "# 甲\n"},
        manifest={"sections": ["sections/a.md", "sections/gone.md"]},
        extra={"sections/stray.md": "# 多余\n"},
    )
    _, messages = load(source)
    assert "report.yaml:7: error: listed section file not found: sections/gone.md" in messages  # its list item
    assert any(m.startswith("sections/stray.md: error: section file is not listed") for m in messages)


def test_markers_with_and_without_variation_selector_and_bold(make_source):
    source = make_source(
        {
            "a.md": """
        # ✍️引言

        ## 👁**法律事务组**

        ## ✅ 财务组

        ## \N{WRITING HAND}\ufe0f媒体组
        """
        }
    )
    report, _ = load(source)
    root = report.sections[0].root
    assert (root.title, root.own_status) == ("引言", Status.EDITING)
    assert [(h.title, h.own_status) for h in root.children] == [
        ("法律事务组", Status.REVIEWING),
        ("财务组", Status.DONE),
        ("媒体组", Status.EDITING),
    ]


def test_a_marker_after_the_title_is_its_status_and_leaves_the_title(make_source):
    """As documents from other tools write them: ``# 年度报告 ✍️``; an emoji inside the title is text."""
    source = make_source(
        {
            "a.md": """
        # 引言 ✍️

        ## **法律事务组** 👁

        ## 财务组✅\ufe0f

        ## 完成 ✅ 情况
        """
        }
    )
    report, messages = load(source)
    root = report.sections[0].root
    assert (root.title, root.own_status) == ("引言", Status.EDITING)
    assert [(h.title, h.own_status) for h in root.children] == [
        ("法律事务组", Status.REVIEWING),
        ("财务组", Status.DONE),
        ("完成 ✅ 情况", None),
    ]
    assert not messages


def test_front_matter_status_in_english_and_chinese(make_source):
    source = make_source(
        {
            "a.md": "---\nstatus: done\n---\n# 甲\n\n正文。\n",
            "b.md": "---\nstatus: 审核中\n---\n# 乙\n\n正文。\n",
        }
    )
    report, _ = load(source)
    assert [s.root.own_status for s in report.sections] == [Status.DONE, Status.REVIEWING]


def test_structure_heading_shows_least_advanced_unit_below(make_source):
    source = make_source(
        {
            "a.md": """
        # 执行委员会

        ## 各组

        ### ✅财务组

        ### 👁️媒体组

        ### ✍️活动组
        """
        }
    )
    report, _ = load(source)
    root = report.sections[0].root
    assert root.own_status is None
    assert root.status is Status.EDITING
    assert len(report.sections[0].units()) == 3


def test_owner_and_due_are_inherited_unless_a_heading_has_its_own_owner(make_source):
    source = make_source(
        {
            "a.md": """
        ---
        owner: 张三
        due: 2026-12-01
        owners:
          媒体组: 李四
        ---
        # ✍️执行委员会

        ## ✅财务组

        ## 👁️媒体组

        ### ✍️渠道
        """
        }
    )
    report, _ = load(source)
    root = report.sections[0].root
    finance, media = root.children
    assert (root.owner, finance.owner, media.owner, media.children[0].owner) == ("张三", "张三", "李四", "李四")
    assert {h.due for h in root.walk()} == {"2026-12-01"}


def test_words_count_cjk_characters_and_latin_runs(make_source):
    source = make_source({"a.md": "# 甲\n\n开源社区 open source 2026 年。\n"})
    report, _ = load(source)
    assert report.sections[0].root.words == 4 + 2 + 1 + 1


def test_a_second_top_heading_is_demoted_with_a_warning(make_source):
    source = make_source({"a.md": "# 甲\n\n# 乙\n"})
    report, messages = load(source)
    assert [h.level for h in report.sections[0].root.walk()] == [1, 2]
    assert "sections/a.md:3: warning: a section file has one '#' heading; this one is set as '##'" in messages


def test_front_matter_title_gives_the_heading_when_the_body_has_none(make_source):
    source = make_source({"a.md": "---\ntitle: 财务报告\n---\n正文。\n"})
    report, _ = load(source)
    assert report.sections[0].title == "财务报告"


def test_unknown_marker_is_a_warning_naming_the_allowed_ones(make_source):
    source = make_source({"a.md": "# 甲\n\n## 🎉庆祝\n"})
    _, messages = load(source)
    assert any("sections/a.md:3: warning: unknown status marker '🎉'" in m and "✍️" in m for m in messages)


def test_markers_are_configurable(make_source):
    source = make_source({"a.md": "# 🟡甲\n\n## 🟢乙\n"}, manifest={"markers": {"editing": ["🟡"], "done": ["🟢"]}})
    report, _ = load(source)
    assert [h.own_status for h in report.sections[0].root.walk()] == [Status.EDITING, Status.DONE]


def test_link_to_missing_anchor_is_a_warning_at_its_line(make_source):
    source = make_source({"a.md": "# 甲\n\n见[乙](b.md#不存在)。\n", "b.md": "# 乙\n\n## 预算\n"})
    _, messages = load(source)
    assert any(
        m.startswith("sections/a.md:3: warning: no heading with anchor '#不存在' in sections/b.md") for m in messages
    )


def test_empty_section_is_a_warning(make_source):
    source = make_source({"a.md": "# ✍️后记\n"})
    _, messages = load(source)
    assert "sections/a.md:1: warning: section is empty; a 'pending' placeholder is shown" in messages
