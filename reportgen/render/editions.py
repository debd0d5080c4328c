"""Editions: which parts of the report each edition shows.

The draft edition shows everything, with status badges and owners (added by
the render rules).  The public edition leaves out every unit of progress that
is not done — or keeps its heading with a placeholder, as ``report.yaml``
says — and lists what it left out, so the editor can see it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

from markdown_it.token import Token

from reportgen.errors import Diagnostics
from reportgen.messages import language_name, words
from reportgen.model import Heading, Report, Section
from reportgen.render.markdown import LinkRef, ref, set_ref


@dataclass(frozen=True, slots=True)
class SectionView:
    """A section as one edition shows it."""

    section: Section
    tokens: list[Token]
    """The tokens this edition renders: a new list, sharing the report's tokens where they are unchanged."""
    headings: tuple[Heading, ...] = ()
    """Headings still shown, in document order."""


@dataclass(frozen=True, slots=True)
class Edition:
    name: str
    views: tuple[SectionView, ...]
    omitted: tuple[tuple[Section, Heading], ...] = ()
    """Units the public edition left out (or replaced by a placeholder)."""


def select(report: Report, name: str, diags: Diagnostics, strict: bool = False) -> Edition:
    """The sections and tokens that edition ``name`` renders."""
    said = words(report.manifest.language)
    if name == "draft":
        views = tuple(
            SectionView(s, _with_notes(report, s, list(s.tokens)), tuple(s.root.walk())) for s in report.sections
        )
        return Edition(name, views)
    views: list[SectionView] = []
    omitted: list[tuple[Section, Heading]] = []
    policy = report.manifest.unfinished
    for section in report.sections:
        if section.fallback:  # not translated yet: never published in the source language's words
            omitted.append((section, section.root))
            if strict:
                diags.error(
                    section.path,
                    section.root.line,
                    f"'{section.title}' is not translated into {report.manifest.language}",
                )
            if policy == "placeholder":
                tokens = section.tokens[:3] + _paragraph(said["not_translated"], "placeholder")
                views.append(SectionView(section, tokens, (section.root,)))
            continue
        unfinished = _unfinished(section.root)
        omitted += [(section, h) for h in unfinished]
        if strict:
            for heading in unfinished:
                diags.error(
                    section.path,
                    heading.line,
                    f"unfinished unit '{heading.title}' ({heading.own_status.value}) in the public edition",
                )
        if section.root in unfinished and policy == "omit":
            continue
        tokens = _with_notes(report, section, _filter(section, unfinished, policy, said["placeholder"]))
        shown = {id(t) for t in tokens}
        kept = tuple(h for h in section.root.walk() if id(section.tokens[h.token_range[0]]) in shown)
        views.append(SectionView(section, tokens, kept))
    edition = Edition(name, _unlink_left_out(name, views, diags, strict), tuple(omitted))
    if not edition.views:
        # Published, it would be a cover and an empty contents page: nothing to publish.
        first = report.manifest.section_lines.get(report.manifest.sections[0]) if report.manifest.sections else None
        diags.error(
            "report.yaml",
            first or 1,
            f"the {name} edition has no section in it: every section is unfinished "
            f"and left out ({len(edition.omitted)} unit(s)); finish one, or set editions.public.unfinished: "
            "placeholder",
        )
    return edition


def _unlink_left_out(name: str, views: list[SectionView], diags: Diagnostics, strict: bool) -> tuple[SectionView, ...]:
    """A link to a section or heading the edition left out becomes plain text, with a warning
    (an error under --strict): its href would name a page or anchor that is not there."""
    anchors = {view.section.path: {h.anchor for h in view.headings} for view in views}
    report = diags.error if strict else diags.warning
    for view in views:
        for i, token in enumerate(view.tokens):
            dead = [j for j, child in enumerate(token.children or ()) if _left_out(child, view.section.path, anchors)]
            if not dead:
                continue
            inline = copy.copy(token)  # the report's own tokens stay as parsed: other editions render them too
            inline.children = list(token.children)
            for j in dead:
                link = inline.children[j] = copy.copy(token.children[j])
                link.meta = dict(link.meta)
                found = ref(link, LinkRef)
                set_ref(link, replace(found, broken=True))
                line = found.line
                href = link.attrGet("href") or ""
                report(
                    view.section.path,
                    None if line is None else view.section.body_line + line - 1,
                    f"link to a part the {name} edition leaves out, shown as text: {href}",
                )
            view.tokens[i] = inline  # the view's own list, made by this stage
    return tuple(views)


def _left_out(token: Token, path: str, anchors: dict[str, set[str]]) -> bool:
    link = ref(token, LinkRef) if token.type == "link_open" else None
    if link is None or link.kind not in ("section", "anchor") or link.broken:
        return False
    target = link.target if link.kind == "section" else path
    anchor = link.anchor
    if target not in anchors:
        return True
    return bool(anchor) and not anchor.startswith("fn") and anchor not in anchors[target]


def _unfinished(root: Heading) -> list[Heading]:
    """The outermost units that are not done (their subsections go with them)."""
    if root.is_unit and not root.own_status.is_done():
        return [root]
    return [h for child in root.children for h in _unfinished(child)]


def _filter(section: Section, unfinished: list[Heading], policy: str, placeholder: str) -> list[Token]:
    tokens = section.tokens
    drop: set[int] = set()
    placeholders: dict[int, Heading] = {}
    for heading in unfinished:
        start, end = heading.token_range
        keep_heading = policy == "placeholder" or heading is section.root
        drop.update(range(start + 3 if keep_heading else start, end))
        if keep_heading:
            placeholders[start + 2] = heading
    _drop_emptied_structure(section.root, drop)
    out: list[Token] = []
    for i, token in enumerate(tokens):
        if i in drop:
            continue
        out.append(token)
        if i in placeholders:
            out += _paragraph(placeholder, "placeholder")
    return _drop_orphan_footnotes(out)


def _drop_emptied_structure(heading: Heading, drop: set[int]) -> bool:
    """Drop headings (not units) left with nothing under them; True if ``heading`` went."""
    start, end = heading.token_range
    for child in heading.children:
        _drop_emptied_structure(child, drop)
    if heading.is_unit or heading.level == 1:
        return False
    if all(i in drop for i in range(start + 3, end)) and end > start + 3:
        drop.update(range(start, start + 3))
        return True
    return False


def _drop_orphan_footnotes(tokens: list[Token]) -> list[Token]:
    """Footnotes whose reference went with an omitted unit go too."""
    used = {t.meta["id"] for tok in tokens if tok.children for t in tok.children if t.type == "footnote_ref"}
    out, skipping = [], False
    for token in tokens:
        if token.type == "footnote_open":
            skipping = token.meta["id"] not in used
        if not skipping:
            out.append(token)
        if token.type == "footnote_close":
            skipping = False
    if not used:
        out = [t for t in out if t.type not in ("footnote_block_open", "footnote_block_close")]
    return out


def _with_notes(report: Report, section: Section, tokens: list[Token]) -> list[Token]:
    """Under its title, an empty section shows a visible 'pending' note, and a section
    shown in the source language because it is not translated yet says so."""
    said = words(report.manifest.language)
    if section.fallback:
        note = said["untranslated"].format(
            language=language_name(report.manifest.language, report.manifest.language),
            source=language_name(section.language or "", report.manifest.language),
        )
        tokens = tokens[:3] + _paragraph(note, "untranslated") + tokens[3:]
    if section.is_empty:
        return tokens[:3] + _paragraph(said["pending"], "pending") + tokens[3:]
    return tokens


def _paragraph(text: str, css_class: str) -> list[Token]:
    opening = Token("paragraph_open", "p", 1, block=True)
    opening.attrSet("class", css_class)
    inline = Token("inline", "", 0, content=text, children=[Token("text", "", 0, content=text)])
    return [opening, inline, Token("paragraph_close", "p", -1, block=True)]
