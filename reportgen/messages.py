"""The words reportgen itself puts into a report, by language: Chinese for ``zh…``, else English.

Templates and the edition stage read them through `words`; a report in a
language without a catalogue gets the English words.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from reportgen.model import Status


def _status_words(key: str) -> dict[str, str]:
    """``status_…`` (a status's name) and ``legend_…`` (the PDF's legend) from `model.STATUS_INFO`;
    the Chinese legend names the English key beside the Chinese word."""
    names = {s: s.label("zh" if key == "zh" else "en") for s in Status}
    legend = {s: f"{names[s]} {s.value}" if key == "zh" else names[s] for s in Status if s.info.marker}
    return {
        **{f"status_{s.value}": name for s, name in names.items()},
        **{f"legend_{s.value}": text for s, text in legend.items()},
    }


CATALOGUES: Mapping[str, dict[str, str]] = MappingProxyType(
    {
        "zh": {
            "placeholder": "本节尚未完成，将在定稿后发布。",
            "pending": "本节内容待补充。",
            "untranslated": "本节尚未译成{language}，以下为{source}原文。",
            "not_translated": "本节尚未翻译。",
            "languages": "语言",
            "contents": "目录",
            "progress": "编写进度",
            "translation": "翻译",
            "freshness_missing": "未翻译",
            "freshness_outdated": "待更新",
            "freshness_current": "最新",
            "draft_mark": "草稿 · Draft",
            "colophon": "版权信息",
            "colophon_label": "版权页",
            "back_cover": "封底",
            "qr": "二维码",
            "c_title": "书名",
            "c_edition": "版本",
            "c_date": "日期",
            "c_publisher": "出品",
            "c_editor": "主编",
            "c_authors": "撰稿",
            "c_reviewers": "审阅",
            "c_license": "许可",
            "c_contact": "联系",
            "c_year_edition": "{year} 年版",
            "c_draft": "草稿",
            "col_section": "章节",
            "col_status": "状态",
            "col_owner": "负责人",
            "col_due": "截止",
            "col_units": "完成单元",
            **_status_words("zh"),
            "col_words": "字数",
            "col_where": "位置",
            "overdue": "逾期",
            "units_total": "共 {n} 个单元 units",
            "share_done": "完成 {share}%",
            "review_copy": "审阅稿 · Review copy",
            "review_reviewers": "审阅人",
            "list_separator": "、",
            "none": "—",
            # the dashboard: what needs attention, and who must act
            "no_owner": "（未指定）",
            "reviewer_role": "审核人",
            "today": "今天",
            "yesterday": "昨天",
            "days_ago": "{days} 天前",
            "kind_overdue": "逾期",
            "kind_overdue_en": "Overdue",
            "kind_overdue_hint": "截止日期已过，尚未完成",
            "kind_review": "待审核",
            "kind_review_en": "Waiting for review",
            "kind_review_hint": "已写完，等待审核人",
            "kind_soon": "即将到期",
            "kind_soon_en": "Due soon",
            "kind_soon_hint": "{days} 天内到期，尚未完成",
            "kind_empty": "空白章节",
            "kind_empty_en": "Empty",
            "kind_empty_hint": "还没有正文",
            "kind_unmarked": "未标记状态",
            "kind_unmarked_en": "No status",
            "kind_unmarked_hint": "在标题前加 {marks}，或在 front matter 写 status:",
            "kind_no_owner": "无负责人",
            "kind_no_owner_en": "No owner",
            "kind_no_owner_hint": "在 front matter 写 owner:",
            "kind_warning": "构建提示",
            "kind_warning_en": "Build warnings",
            "kind_warning_hint": "reportgen 检查源文件时发现的问题",
            "overdue_detail": "逾期 {days} 天 · 截止 {due}",
            "due_today": "今天到期",
            "days_left": "还剩 {days} 天",
            "soon_detail": "{when} · 截止 {due}",
            "review_by": "请 {names} 审核",
            "no_reviewer": "未指定审核人：在 front matter 写 reviewers:",
            "set_owner": "在 front matter 写 owner:，或在 owners: 中按标题指定",
            "write_body": "写正文，或把它从 report.yaml 中移除",
            "add_marker": "在标题前加状态标记：{legend}",
            # the live preview (reportgen serve)
            "preview_failed": "构建失败：页面显示的是上一次成功构建的版本",
            "preview_fix": "修改下面的问题并保存，页面会自动更新。",
            "preview_print_failed": "PDF 和进度看板没有更新：",
            "preview_close": "关闭",
            "preview_none_yet": "还没有可以显示的页面。",
            "preview_building": "正在构建…",
            # the HTML edition's own interface
            "skip": "跳到正文",
            "home": "首页",
            "sections": "章节目录",
            "on_this_page": "本节目录",
            "search": "搜索",
            "search_label": "搜索报告",
            "search_placeholder": "搜索…",
            "pdf": "下载 PDF",
            "pdf_long": "下载 PDF 版",
            "prev": "上一节",
            "next": "下一节",
            "pager": "翻页",
            "read_on": "继续阅读",
            "start": "开始阅读",
            "draft": "草稿 · Draft — 含编写状态与负责人，不可公开发布",
            "logo": "标志",
            "nav_more": "另有 {n} 节 · 全部目录",
            "search_title": "搜索结果",
            "search_idle": "在上方输入词语，搜索全文。",
            "search_loading": "正在搜索…",
            "search_none": "没有找到与“{q}”相关的内容。",
            "search_count": "找到 {n} 个与“{q}”相关的章节。",
            "search_file": "从本地文件打开时，浏览器不允许加载搜索索引，因此无法搜索。"
            "请通过网站服务器打开本站（例如在站点文件夹中运行 python3 -m http.server，"
            "再访问 http://localhost:8000/search.html），或查看目录。",
            "search_error": "搜索索引无法加载，暂时不能搜索。请查看目录。",
            "search_nojs": "搜索需要启用 JavaScript。",
            "search_nothing": "这一版本还没有可以搜索的章节。",
        },
        "en": {
            "placeholder": "This section is not finished yet; it will be published with the final version.",
            "pending": "The text of this section is still to come.",
            "untranslated": "This section has not been translated into {language} yet; it is shown in {source}.",
            "not_translated": "This section has not been translated yet.",
            "languages": "Languages",
            "contents": "Contents",
            "progress": "Progress",
            "translation": "Translation",
            "freshness_missing": "missing",
            "freshness_outdated": "outdated",
            "freshness_current": "current",
            "draft_mark": "Draft",
            "colophon": "Copyright",
            "colophon_label": "Colophon",
            "back_cover": "Back cover",
            "qr": "QR code",
            "c_title": "Title",
            "c_edition": "Edition",
            "c_date": "Date",
            "c_publisher": "Published by",
            "c_editor": "Editor",
            "c_authors": "Authors",
            "c_reviewers": "Reviewers",
            "c_license": "Licence",
            "c_contact": "Contact",
            "c_year_edition": "{year} edition",
            "c_draft": "draft",
            "col_section": "Section",
            "col_status": "Status",
            "col_owner": "Owner",
            "col_due": "Due",
            "col_units": "Units done",
            **_status_words("en"),
            "col_words": "Words",
            "col_where": "Location",
            "overdue": "overdue",
            "units_total": "{n} units",
            "share_done": "{share}% done",
            "review_copy": "Review copy",
            "review_reviewers": "Reviewers",
            "list_separator": ", ",
            "none": "—",
            # the dashboard: what needs attention, and who must act
            "no_owner": "(nobody)",
            "reviewer_role": "reviewer",
            "today": "today",
            "yesterday": "yesterday",
            "days_ago": "{days} days ago",
            "kind_overdue": "Overdue",
            "kind_overdue_en": "",
            "kind_overdue_hint": "past the due date and not done",
            "kind_review": "Waiting for review",
            "kind_review_en": "",
            "kind_review_hint": "written, waiting for a reviewer",
            "kind_soon": "Due soon",
            "kind_soon_en": "",
            "kind_soon_hint": "due within {days} days and not done",
            "kind_empty": "Empty",
            "kind_empty_en": "",
            "kind_empty_hint": "no text yet",
            "kind_unmarked": "No status",
            "kind_unmarked_en": "",
            "kind_unmarked_hint": "put {marks} before a heading, or write status: in the front matter",
            "kind_no_owner": "No owner",
            "kind_no_owner_en": "",
            "kind_no_owner_hint": "write owner: in the front matter",
            "kind_warning": "Build warnings",
            "kind_warning_en": "",
            "kind_warning_hint": "problems reportgen found in the sources",
            "overdue_detail": "{days} days overdue · due {due}",
            "due_today": "due today",
            "days_left": "{days} days left",
            "soon_detail": "{when} · due {due}",
            "review_by": "for {names} to review",
            "no_reviewer": "no reviewer: write reviewers: in the front matter",
            "set_owner": "write owner: in the front matter, or name one per heading in owners:",
            "write_body": "write its text, or remove it from report.yaml",
            "add_marker": "mark the heading: {legend}",
            # the live preview (reportgen serve)
            "preview_failed": "Build failed: this page shows the last good build",
            "preview_fix": "Fix the problems below and save; the page updates by itself.",
            "preview_print_failed": "The PDF and the dashboard were not updated:",
            "preview_close": "Close",
            "preview_none_yet": "Nothing has been built yet.",
            "preview_building": "Building…",
            # the HTML edition's own interface
            "skip": "Skip to content",
            "home": "Home",
            "sections": "Sections",
            "on_this_page": "On this page",
            "search": "Search",
            "search_label": "Search the report",
            "search_placeholder": "Search…",
            "pdf": "PDF",
            "pdf_long": "Download the PDF",
            "prev": "Previous",
            "next": "Next",
            "pager": "Previous and next section",
            "read_on": "Read on",
            "start": "Start reading",
            "draft": "Draft · shows progress and owners, not for publication",
            "logo": "logo",
            "nav_more": "{n} more sections · full contents",
            "search_title": "Search results",
            "search_idle": "Type a word above to search the whole report.",
            "search_loading": "Searching…",
            "search_none": "Nothing found for “{q}”.",
            "search_count": "{n} section(s) found for “{q}”.",
            "search_file": "Search cannot run from a file opened on disk: the browser does not let the page load "
            "the search index. Open the site through a web server (for example run "
            "python3 -m http.server in the site folder and visit http://localhost:8000/search.html), "
            "or use the contents.",
            "search_error": "The search index could not be loaded, so search is unavailable. Use the contents.",
            "search_nojs": "Search needs JavaScript.",
            "search_nothing": "This edition has no section to search yet.",
        },
    }
)

#: Names of languages, in the language of the catalogue that shows them.
LANGUAGE_NAMES: Mapping[str, dict[str, str]] = MappingProxyType(
    {
        "zh": {"zh": "中文", "en": "英文", "ja": "日文", "ko": "韩文", "fr": "法文", "de": "德文"},
        "en": {"zh": "Chinese", "en": "English", "ja": "Japanese", "ko": "Korean", "fr": "French", "de": "German"},
    }
)

#: Each language's name in itself, for the language switcher.
ENDONYMS = MappingProxyType(
    {"zh": "中文", "en": "English", "ja": "日本語", "ko": "한국어", "fr": "Français", "de": "Deutsch"}
)


def catalogue_key(language: str) -> str:
    return "zh" if language.lower().startswith("zh") else "en"


def words(language: str) -> dict[str, str]:
    """The catalogue for ``language`` (a BCP 47 tag)."""
    return CATALOGUES[catalogue_key(language)]


def language_name(tag: str, in_language: str) -> str:
    """``tag``'s name as a reader of ``in_language`` says it: 英文, English…"""
    base = tag.split("-")[0].lower()
    return LANGUAGE_NAMES[catalogue_key(in_language)].get(base, tag)


def endonym(tag: str) -> str:
    return ENDONYMS.get(tag.split("-")[0].lower(), tag)
