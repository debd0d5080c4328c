"""The words reportgen itself puts into a report, by language: Chinese for ``zh…``, else English.

Templates and the edition stage read them through `words`; a report in a
language without a catalogue gets the English words.
"""

from __future__ import annotations

CATALOGUES: dict[str, dict[str, str]] = {
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
        "colophon": "版权信息", "colophon_label": "版权页", "back_cover": "封底", "qr": "二维码",
        "c_title": "书名", "c_edition": "版本", "c_date": "日期", "c_publisher": "出品", "c_editor": "主编",
        "c_authors": "撰稿", "c_reviewers": "审阅", "c_license": "许可", "c_contact": "联系",
        "c_year_edition": "{year} 年版", "c_draft": "草稿",
        "col_section": "章节", "col_status": "状态", "col_owner": "负责人", "col_due": "截止", "col_units": "完成单元",
        "status_editing": "编辑中", "status_reviewing": "审核中", "status_done": "已完成", "status_unmarked": "未标记",
        "legend_editing": "编辑中 editing", "legend_reviewing": "审核中 reviewing", "legend_done": "已完成 done",
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
        "colophon": "Copyright", "colophon_label": "Colophon", "back_cover": "Back cover", "qr": "QR code",
        "c_title": "Title", "c_edition": "Edition", "c_date": "Date", "c_publisher": "Published by",
        "c_editor": "Editor", "c_authors": "Authors", "c_reviewers": "Reviewers", "c_license": "Licence",
        "c_contact": "Contact", "c_year_edition": "{year} edition", "c_draft": "draft",
        "col_section": "Section", "col_status": "Status", "col_owner": "Owner", "col_due": "Due", "col_units": "Units done",
        "status_editing": "editing", "status_reviewing": "reviewing", "status_done": "done", "status_unmarked": "unmarked",
        "legend_editing": "editing", "legend_reviewing": "reviewing", "legend_done": "done",
    },
}

#: Names of languages, in the language of the catalogue that shows them.
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "zh": {"zh": "中文", "en": "英文", "ja": "日文", "ko": "韩文", "fr": "法文", "de": "德文"},
    "en": {"zh": "Chinese", "en": "English", "ja": "Japanese", "ko": "Korean", "fr": "French", "de": "German"},
}

#: Each language's name in itself, for the language switcher.
ENDONYMS = {"zh": "中文", "en": "English", "ja": "日本語", "ko": "한국어", "fr": "Français", "de": "Deutsch"}


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
