"""Chinese typesetting inside WeasyPrint: justified lines, compressed punctuation,
and CJK–Latin spacing that never shows at a line's edge.

WeasyPrint 70 justifies a line by widening its spaces only (``layout/inline.py``,
``justify_line``), so a Chinese line, which has none, stays ragged; it has no
``text-spacing-trim`` and the Noto CJK faces of Debian carry no ``chws``. No
released WeasyPrint or plug-in does this, so it is written here as a small
extension of three WeasyPrint functions, installed once per process by
`install` (both PDF engines reach it through `pdf.confined_fetcher`):

- ``Layout.set_text`` (``text/line_break.py``): the first of two adjacent
  full-width marks gets the fonts' ``halt`` feature (set half width) while the
  line is measured and drawn, when ``--cjk-punctuation`` is ``compress``; and a
  line being justified gets Pango letter spacing on its CJK characters, so the
  extra space goes between characters and not into Latin words.
- ``justify_line``: a line holding CJK characters spreads its slack over the
  gaps between CJK characters (and spaces), not only over spaces.
- ``text_align``: the margin of a Latin run set beside Han characters
  (``.cjk-l``/``.cjk-r``, made by `markdown`) is dropped where that run starts
  or ends a line, so CJK–Latin spacing never indents a line or pushes its end.

The text itself is never changed: copying from the PDF gives the source text.
It is tied to the WeasyPrint versions it was read against (`SUPPORTED`); with
any other version nothing is patched and the print stylesheet sets paragraphs
ragged-right (`FALLBACK_CSS`) instead of justifying them at spaces only.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from reportgen.render.cjk import is_cjk

#: WeasyPrint major versions whose inline layout this extends (read in 70.0).
SUPPORTED = ("70",)
#: Part of the print document, so the book engine's cache of typeset parts
#: changes when this module typesets differently.
REVISION = "cjkprint 1"
#: Appended to the print stylesheet when WeasyPrint is not a supported version.
FALLBACK_CSS = "p, li { text-align: left; }"

#: Full-width marks whose blank half is on the right (closing marks, and the
#: comma, stop, colon… as Simplified Chinese fonts draw them).
CLOSING = frozenset("）〕］｝》〉」』】〗〙〛”’、，。．：；！？")
#: Full-width marks whose blank half is on the left.
OPENING = frozenset("（〔［｛《〈「『【〖〘〚“‘")
AUTOSPACE_CLASSES = ("cjk-l", "cjk-r")
#: The most space (in em) justification adds between two characters; a line that
#: would need more is set flush left, as a typesetter would rather than letter-space it.
MAX_SHARE = 0.5

# Whether WeasyPrint is patched in this process; never invalidated: the patch lasts as long as the process.
_installed = False


def supported() -> bool:
    """Whether the installed WeasyPrint is one this extension was written against."""
    try:
        return version("weasyprint").split(".")[0] in SUPPORTED
    except PackageNotFoundError:
        return False


def install() -> bool:
    """Extend WeasyPrint in this process (once); False when its version is not supported."""
    global _installed
    if _installed or not supported():
        return _installed
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    original_set_text = line_break.Layout.set_text
    original_justify = inline.justify_line
    original_align = inline.text_align

    def set_text(self, text, justify=False):
        _fresh_attributes(self)
        original_set_text(self, text, justify)
        _add_attributes(self, justify)

    def justify_line(context, line, extra_width):
        if not _justify_cjk(context, line, extra_width):
            original_justify(context, line, extra_width)

    def text_align(context, line, available_width, last):
        _trim_autospace(line)
        return original_align(context, line, available_width, last)

    line_break.Layout.set_text = set_text
    inline.justify_line = justify_line
    inline.text_align = text_align
    _installed = True
    return True


# --- punctuation and letter spacing inside one Pango layout -----------------------


def halt_positions(text: str) -> list[int]:
    """Indexes of the marks set half width: the first of two adjacent full-width
    marks where its blank half faces the other (closing before any mark), and the
    second of two opening marks."""
    found = []
    for i in range(len(text) - 1):
        a, b = text[i], text[i + 1]
        if a in CLOSING and (b in CLOSING or b in OPENING):
            found.append(i)
        elif a in OPENING and b in OPENING:
            found.append(i + 1)
    return found


def weight(ch: str) -> int:
    """1 where justification may add space beside ``ch`` (CJK characters, spaces), else 0."""
    return 1 if ch in " \u00a0" or is_cjk(ch) or ch in CLOSING or ch in OPENING else 0


def weights(text: str, compress: bool) -> list[int]:
    """`weight` of each character; a mark set half width takes no extra space, so
    that two marks that meet stay close on a loose line."""
    found = [weight(ch) for ch in text]
    for i in halt_positions(text) if compress else ():
        found[i] = 0
    return found


def gap_units(text: str, compress: bool = False) -> float:
    """How many shares of justification space Pango letter spacing on the CJK
    characters of ``text`` adds inside it: each spaced character gets half a share
    on each side, nothing at the ends of the text."""
    return gap_units_of(weights(text, compress))


def _compress(style) -> bool:
    try:
        value = style["__cjk_punctuation"]
    except KeyError:  # styles outside the document tree (SVG text, page margins) have no variables
        return False
    return bool(value) and getattr(value[0], "value", "") == "compress"


def _fresh_attributes(layout) -> None:
    """Start each text of a layout from its style's attributes: WeasyPrint adds its
    own to whatever list the layout holds, and a halt set for an earlier text must
    not fall on other characters of the next."""
    from weasyprint.text.ffi import ffi, pango
    from weasyprint.text.fonts import font_features

    style = layout.style
    features = font_features(
        style["font_kerning"],
        style["font_variant_ligatures"],
        style["font_variant_position"],
        style["font_variant_caps"],
        style["font_variant_numeric"],
        style["font_variant_alternates"],
        style["font_variant_east_asian"],
        style["font_feature_settings"],
    )
    attrs = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    if features:
        value = ",".join(f"{key} {value}" for key, value in features.items()).encode()
        pango.pango_attr_list_insert(attrs, pango.pango_attr_font_features_new(value))
    pango.pango_layout_set_attributes(layout.layout, attrs)


def _add_attributes(layout, justify: bool) -> None:
    from weasyprint.text.ffi import pango

    text = layout.text
    halts = halt_positions(text) if _compress(layout.style) else []
    spacing = getattr(layout, "cjk_spacing", None) if justify else None
    if not halts and not spacing:
        return
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + len(ch.encode()))
    attrs = pango.pango_layout_get_attributes(layout.layout)
    for i in halts:
        attr = pango.pango_attr_font_features_new(b"halt 1")
        attr.start_index, attr.end_index = offsets[i], offsets[i + 1]
        pango.pango_attr_list_insert(attrs, attr)
    if spacing:
        for start, end, value in _runs(spacing):
            attr = pango.pango_attr_letter_spacing_new(value)
            attr.start_index, attr.end_index = offsets[start], offsets[end]
            pango.pango_attr_list_change(attrs, attr)
    pango.pango_layout_set_attributes(layout.layout, attrs)


def letter_spacings(found: list[int], share: float, font_size: float) -> tuple[list[int], float]:
    """Pango letter spacing (units) of each character for ``share`` px per gap, and
    the width (px) it adds to the text.

    WeasyPrint's PDF writer truncates each glyph's adjustment to a whole thousandth
    of an em, which on a justified line of 45 characters loses almost half a point.
    A spacing that makes that adjustment whole loses nothing; two neighbouring such
    values, the larger on the first characters, add up to the width asked for."""
    step = font_size / (1000 / 1024 - 0.5)  # units of spacing per thousandth of an em
    low = int(share * 1024 / step)
    values = (round(low * step), round((low + 1) * step))
    target = share * 1024 * gap_units_of(found)
    spacings = [values[0] * w for w in found]
    added = _added(spacings)
    for i, w in enumerate(found):
        gain = (values[1] - values[0]) * ((i > 0) + (i < len(found) - 1)) / 2
        if not w:
            continue
        if added + gain / 2 > target:
            break
        spacings[i] = values[1]
        added += gain
    return spacings, added / 1024


def _added(spacings: list[int]) -> float:
    """Width (units) letter spacing adds: half of each character's on each side that has a neighbour."""
    return sum((a + b) / 2 for a, b in zip(spacings, spacings[1:]))


def gap_units_of(found: list[int]) -> float:
    if len(found) < 2:
        return 0
    return sum(found) - (found[0] + found[-1]) / 2


def _runs(spacings: list[int]) -> list[tuple[int, int, int]]:
    """(start, end, spacing) of each run of characters with the same spacing, but none."""
    runs = []
    for i, value in enumerate(spacings):
        if value and runs and runs[-1][1] == i and runs[-1][2] == value:
            runs[-1] = (runs[-1][0], i + 1, value)
        elif value:
            runs.append((i, i + 1, value))
    return runs


# --- lines ----------------------------------------------------------------------------


def _leaves(box, path=()):
    """In-flow leaves of an inline box, left to right, each with its ancestors."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        for child in box.children:
            if child.is_in_normal_flow():
                yield from _leaves(child, path + (box,))
    else:
        yield box, path


def _justify_cjk(context, line, extra_width: float) -> bool:
    """Spread ``extra_width`` over the CJK gaps of ``line``; False when it has none
    (WeasyPrint's own justification at spaces then runs)."""
    from weasyprint.formatting_structure import boxes

    texts = [leaf for leaf, _ in _leaves(line) if isinstance(leaf, boxes.TextBox)]
    if not any(is_cjk(ch) for box in texts for ch in box.text):
        return False
    if any(box.style["letter_spacing"] not in ("normal", 0) for box in texts):
        return False
    units = 0.0
    previous = None
    for leaf, _ in _leaves(line):
        if isinstance(leaf, boxes.TextBox) and leaf.text:
            units += _boundary(previous, leaf) + gap_units(leaf.text, _compress(leaf.style))
            previous = leaf
        else:
            previous = None
    if units <= 0:
        return False
    if extra_width / units > MAX_SHARE * line.style["font_size"]:
        return True  # spread this thin, the line would read as letter-spaced: set it flush left
    _spread(context, line, extra_width / units, [None])
    return True


def _boundary(previous, box) -> int:
    """One share between two text boxes when both sides of the join are CJK."""
    if previous is None:
        return 0
    return int(weight(previous.text[-1]) and weight(box.text[0]) and previous.text[-1] != " ")


def _spread(context, box, share: float, previous: list, x_advance: float = 0.0) -> float:
    """Move and widen the boxes of a line by ``share`` per gap (cf. WeasyPrint's
    ``add_word_spacing``, which does the same for spaces)."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.text.line_break import create_layout

    if isinstance(box, boxes.TextBox):
        if box.text:
            x_advance += share * _boundary(previous[0], box)
            box.position_x += x_advance
            found = weights(box.text, _compress(box.style))
            if gap_units_of(found):
                layout = create_layout(box.text, box.style, context, max_width=None, justification_spacing=0)
                layout.cjk_spacing, added = letter_spacings(found, share, box.style["font_size"])
                layout.deactivate()
                box.pango_layout = layout
                box.width += added
                x_advance += added
            previous[0] = box
        else:
            box.position_x += x_advance
        return x_advance
    if isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        before = x_advance
        for child in box.children:
            if child.is_in_normal_flow():
                x_advance = _spread(context, child, share, previous, x_advance)
        box.width += x_advance - before
        return x_advance
    box.translate(x_advance, 0)
    previous[0] = None
    return x_advance


def _trim_autospace(line) -> None:
    """Drop the CJK–Latin margin of a Latin run at the start or the end of ``line``."""
    chain = _edge_chain(line, first=True)
    if chain:
        target = chain[-1]
        margin = target.margin_left
        target.margin_left = 0
        for child in target.children:
            child.translate(-margin, 0)
        _shrink(chain, margin, after=True)
    chain = _edge_chain(line, first=False)
    if chain:
        target = chain[-1]
        margin = target.margin_right
        target.margin_right = 0
        _shrink(chain, margin, after=False)


def _edge_chain(line, first: bool):
    """[line, …, box]: the boxes from the line to an autospaced run at its edge."""
    from weasyprint.formatting_structure import boxes

    chain, box = [line], line
    while isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        children = [c for c in box.children if c.is_in_normal_flow()]
        if not children:
            return None
        box = children[0] if first else children[-1]
        if not isinstance(box, boxes.InlineBox):
            return None
        chain.append(box)
        margin = box.margin_left if first else box.margin_right
        if margin and _autospaced(box):
            return chain
    return None


def _autospaced(box) -> bool:
    element = getattr(box, "element", None)
    classes = (element.get("class") or "").split() if element is not None else []
    return any(name in classes for name in AUTOSPACE_CLASSES)


def _shrink(chain, margin: float, after: bool) -> None:
    """Narrow each ancestor by ``margin``; at the start, move what follows back."""
    for parent, child in zip(reversed(chain[:-1]), reversed(chain[1:])):
        parent.width -= margin
        if after:
            siblings = parent.children
            for sibling in siblings[siblings.index(child) + 1 :]:
                sibling.translate(-margin, 0)
