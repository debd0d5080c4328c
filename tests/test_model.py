"""The values the stages hand each other cannot be changed by the next stage."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest

from reportgen.errors import Diagnostics
from reportgen.load import translations
from reportgen.load.reader import load_report
from reportgen.render import editions

SECTIONS = {
    "a.md": """
        ---
        owner: 张三
        owners:
          细节: 李四
        tags: [年报]
        ---
        # ✅引言

        正文[见下](#细节)与[财务](b.md)。

        ## ✍️细节

        草稿。
        """,
    "b.md": """
        # 👁️财务
        """,
}

NOT_OURS = {"cache", "tokens", "env"}
"""Fields that are not reportgen's values: a documented cache (`model.ReportCache`), and
markdown-it's own token list and env."""


def _stage_values(value, seen: set[int]):
    """Every dataclass instance reachable from ``value`` through dataclass fields, tuples and mappings."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
        for f in dataclasses.fields(value):
            if f.name not in NOT_OURS:
                yield from _stage_values(getattr(value, f.name), seen)
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _stage_values(item, seen)
    elif isinstance(value, MappingProxyType):
        for item in value.values():
            yield from _stage_values(item, seen)


def _loaded(make_source):
    source = make_source(SECTIONS, {"languages": ["zh-CN", "en"]})
    diags = Diagnostics()
    report = load_report(source, diags)
    assert report is not None and not diags.errors, diags.items
    return report, diags


def test_every_value_a_stage_hands_on_is_frozen(make_source):
    report, diags = _loaded(make_source)
    shown = [
        report,
        translations.translated_report(report, "en", diags),
        editions.select(report, "draft", diags),
        editions.select(report, "public", diags),
    ]
    values = [v for top in shown for v in _stage_values(top, set())]
    kinds = {type(v).__name__ for v in values}
    assert {"Report", "Manifest", "Section", "FrontMatter", "Heading", "Edition", "SectionView"} <= kinds
    for value in values:
        params = type(value).__dataclass_params__
        assert params.frozen, f"{type(value).__name__} can be changed after it is made"
        assert not hasattr(value, "__dict__"), f"{type(value).__name__} takes attributes set on it later"
        for f in dataclasses.fields(value):
            field_value = getattr(value, f.name)
            if f.name in NOT_OURS:
                continue
            assert not isinstance(field_value, (list, dict, set)), (
                f"{type(value).__name__}.{f.name} is a {type(field_value).__name__} a later stage could change"
            )


def test_loaded_heading_tree_and_front_matter_cannot_be_changed(make_source):
    report, _ = _loaded(make_source)
    section = report.sections[0]
    assert section.root.children[0].owner == "李四"  # built whole: owners, words and ranges known when made
    with pytest.raises(dataclasses.FrozenInstanceError):
        section.root.owner = "王五"
    with pytest.raises(TypeError):
        section.front.owners["细节"] = "王五"
    with pytest.raises(TypeError):
        report.manifest.markers[next(iter(report.manifest.markers))] = ("🚧",)
