"""The last gate before a section is published: an allow-list of the HTML reportgen renders.

`clean_fragment` passes the body HTML of one section through nh3 (the Rust
sanitiser ammonia) with a policy written from what reportgen itself emits:
the render rules of `reportgen.render.markdown` (headings with anchors and badges,
tables in ``div.table-wrap``, footnotes, links, images, code), the notes the
editions add, and the figures of `reportgen.build` with the inline SVG that
matplotlib writes with ``svg.fonttype = "none"``.  Everything else goes: a
script, an event handler, a ``javascript:`` URL, an ``<iframe>``, a style that
loads a URL.  Raw HTML an author writes has already passed the narrower
allow-list of `reportgen.render.rawhtml` (which says what it dropped); here its
tags are balanced, and the gate is there for the day a render rule, a plugin
or a theme lets something through.

Links may use http, https, mailto or a relative URL; ``data:`` is allowed
for raster images only; references inside a chart (``xlink:href``,
``clip-path``, ``fill``) may only point into the page (``#id``).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3

# --- what reportgen renders ----------------------------------------------------------

HTML_TAGS = frozenset(
    {
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "br",
        "hr",
        "blockquote",
        "ul",
        "ol",
        "li",
        "pre",
        "code",
        "em",
        "strong",
        "s",
        "del",
        "sup",
        "sub",
        "a",
        "img",
        "span",
        "div",
        "section",
        "figure",
        "figcaption",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "details",
        "summary",
    }
)
"""CommonMark with tables, strikethrough and footnotes, plus reportgen's own wrappers."""

RAW_HTML_TAGS = frozenset(
    {
        "b",
        "i",
        "u",
        "ins",
        "small",
        "kbd",
        "mark",
        "abbr",
        "details",
        "summary",
        "dl",
        "dt",
        "dd",
        "tfoot",
        "caption",
    }
)
"""What `reportgen.render.rawhtml` passes of the HTML authors write, beyond `HTML_TAGS`."""

SVG_TAGS = frozenset(
    {
        "svg",
        "g",
        "defs",
        "clipPath",
        "pattern",
        "path",
        "use",
        "rect",
        "text",
        "tspan",
        "title",
    }
)
"""What matplotlib's SVG backend writes for line, bar, pie and hatched charts with text
kept as text (``<metadata>`` and ``<style>`` are removed before inlining); images,
gradients and filters are not drawn by reportgen's charts and stay out."""

_HEADING = {"id", "class", "data-title"}
_SVG_COMMON = {
    "id",
    "style",
    "transform",
    "clip-path",
    "d",
    "x",
    "y",
    "width",
    "height",
    "href",
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-dasharray",
    "stroke-dashoffset",
    "opacity",
    "text-anchor",
}

ATTRIBUTES: dict[str, set[str]] = {
    **{f"h{n}": _HEADING for n in range(1, 7)},
    "a": {"href", "title", "rel", "id", "class", "aria-label", "data-page"},
    "img": {"src", "alt", "title", "class", "style"},
    "span": {"class", "title", "role", "aria-label"},
    "div": {"class"},
    "p": {"class"},
    "section": {"class", "aria-label"},
    "figure": {"class", "id"},
    "sup": {"class"},
    "ol": {"class", "start"},
    "ul": {"class"},
    "li": {"id", "class"},
    "pre": {"class"},
    "code": {"class"},
    "th": {"style", "class", "colspan", "rowspan"},
    "td": {"style", "class", "colspan", "rowspan"},
    **{tag: {"class"} for tag in ("table", "tr", "caption", "figcaption")},
    "abbr": {"title"},
    "details": {"open", "class"},
    "summary": {"class"},
    "svg": {
        "xmlns",
        "xlink",
        "version",
        "class",
        "viewBox",
        "width",
        "height",
        "role",
        "lang",
        "style",
        "stroke-linejoin",
        "stroke-linecap",
        "aria-label",
    },
    "pattern": _SVG_COMMON | {"patternUnits"},
    **{tag: _SVG_COMMON for tag in ("g", "defs", "clipPath", "path", "use", "rect", "text", "tspan")},
}
"""Attributes per tag.  No generic prefixes: ``data-*`` would let a fragment steer
the search index (``data-pagefind-body``, ``-meta``, ``-filter``), so ``data-title``
is listed where it is used."""

VALUES: dict[str, dict[str, set[str]]] = {
    tag: {"data-pagefind-ignore": {"all"}} for tag in ("span", "p", "div", "section", "figure")
}
"""Attributes allowed with these values only: reportgen keeps its badges, owner chips and
notes out of the search index; leaving text out is all this attribute can do."""

URL_SCHEMES = frozenset({"http", "https", "mailto", "data"})
"""Schemes nh3 lets through; `_filter` then keeps ``data:`` on images only."""

STYLE_PROPERTIES = frozenset(
    {
        "text-align",  # table cells: markdown-it writes the column alignment as a style
        "fill",
        "fill-opacity",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-dasharray",
        "stroke-dashoffset",
        "opacity",
        "font-size",
        "font-family",
        "font-style",
        "font-weight",
        "font-stretch",
        "font-variant",
        "text-anchor",
        "shape-rendering",
        "vertical-align",  # a formula's baseline (`reportgen.render.extensions`)
    }
)
"""Properties matplotlib puts in ``style`` attributes, and table alignment."""

IMAGE_STYLE = frozenset({"width", "height"})
"""The size an ``<img width=…>`` written as HTML asks for (the column still caps it)."""

#: Attributes whose value may hold a CSS ``url(…)`` reference.
_PAINT = frozenset({"fill", "stroke", "clip-path"})
_LOCAL_URL = re.compile(r"url\(\s*['\"]?#[\w.:-]+['\"]?\s*\)", re.IGNORECASE)
_ANY_URL = re.compile(r"url\s*\(|image-set\s*\(|expression\s*\(|@import|\\|/\*|[<>{}]", re.IGNORECASE)
_RASTER_DATA = re.compile(r"data:image/(png|jpeg|gif|webp)[;,]", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def clean_fragment(html: str) -> str:
    """``html`` (the body of one section) with everything reportgen does not render removed."""
    return _cleaner().clean(html)


def keeps_href(href: str) -> bool:
    """Whether a link to ``href`` keeps its address through the sanitiser (nh3 drops one
    whose host no URL parser accepts, such as a name holding an unassigned character)."""
    return "href=" in _cleaner().clean(f'<a href="{html.escape(href, quote=True)}">.</a>')


@lru_cache(maxsize=1)  # never invalidated: the allow-list is constant
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(HTML_TAGS | RAW_HTML_TAGS | SVG_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        tag_attribute_values={
            tag: {name: set(values) for name, values in allowed.items()} for tag, allowed in VALUES.items()
        },
        attribute_filter=_filter,
        strip_comments=True,
        # reportgen writes rel itself (external links only); nh3 must not add it everywhere.
        link_rel=None,
        url_schemes=set(URL_SCHEMES),
    )


def _filter(tag: str, attribute: str, value: str) -> str | None:
    """Value checks nh3's per-tag lists cannot express; None removes the attribute."""
    if attribute == "style":
        return _style(value, IMAGE_STYLE if tag == "img" else STYLE_PROPERTIES)
    if attribute in _PAINT:
        return value if _css_value_ok(value) else None
    if attribute in ("href", "src"):
        return value if _url_ok(tag, attribute, value) else None
    return value


def _url_ok(tag: str, attribute: str, value: str) -> bool:
    url = _CONTROL.sub("", value).lower()
    if tag in SVG_TAGS:
        return url.startswith("#")  # a chart refers to its own markers and clip paths only
    if url.startswith(("//", "\\\\", "/\\", "\\/")):
        return False  # "//host/x" is a URL on another host without a scheme
    if url.startswith("data:"):
        return tag == "img" and attribute == "src" and bool(_RASTER_DATA.match(url))
    return True


def _style(value: str, properties: frozenset[str]) -> str | None:
    """The declarations of ``value`` that name an allowed property with a harmless value."""
    kept = []
    for declaration in value.split(";"):
        name, colon, rest = declaration.partition(":")
        if colon and name.strip().lower() in properties and _css_value_ok(rest):
            kept.append(declaration.strip())
    return "; ".join(kept) or None


def _css_value_ok(value: str) -> bool:
    """No resource is loaded by it: no ``url()`` except to ``#id`` in the page, no escapes."""
    return not _ANY_URL.search(_LOCAL_URL.sub("", value))


# --- SVG files the site publishes ------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

SVG_FILE_TAGS = frozenset(
    {
        "svg",
        "g",
        "defs",
        "symbol",
        "use",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "textPath",
        "title",
        "desc",
        "linearGradient",
        "radialGradient",
        "stop",
        "clipPath",
        "mask",
        "pattern",
        "marker",
        "filter",
        "style",
        "switch",
        "image",
        "feBlend",
        "feColorMatrix",
        "feComponentTransfer",
        "feComposite",
        "feConvolveMatrix",
        "feDiffuseLighting",
        "feDisplacementMap",
        "feDistantLight",
        "feDropShadow",
        "feFlood",
        "feFuncA",
        "feFuncB",
        "feFuncG",
        "feFuncR",
        "feGaussianBlur",
        "feMerge",
        "feMergeNode",
        "feMorphology",
        "feOffset",
        "fePointLight",
        "feSpecularLighting",
        "feSpotLight",
        "feTile",
        "feTurbulence",
    }
)
"""Drawing elements of an SVG image.  Not here, so removed with all they hold: ``script``,
``foreignObject`` (HTML inside), ``a`` (a link, maybe to ``javascript:``), the animation
elements (they can rewrite any attribute, an ``href`` too), ``iframe``, ``metadata``, and
every element of another namespace (editors' own, XHTML)."""

_SVG_EXTERNAL = re.compile(r"url\s*\(\s*['\"]?\s*(?!#)|@import|expression\s*\(|javascript:", re.IGNORECASE)
_RASTER_DATA = re.compile(r"data:image/(png|jpe?g|gif|webp)[;,]", re.IGNORECASE)


def clean_svg(data: bytes) -> bytes | None:
    """An SVG file with nothing that runs or loads: no script, event handler, ``foreignObject``,
    link or reference outside the file; None when it is not a well-formed SVG.

    Written here because neither nh3 (an HTML sanitiser: it would re-serialise
    the XML as HTML) nor any other chosen dependency sanitises SVG documents;
    the rules are an allow-list, so what is not known to be inert goes.
    """
    import xml.etree.ElementTree as ET

    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():  # entities: expansion bombs and external files
        return None
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError):
        return None
    if root.tag != f"{{{SVG_NS}}}svg":
        return None
    _clean_svg_element(root)
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _clean_svg_element(element) -> None:
    for child in list(element):
        namespace, _, name = child.tag.partition("}") if isinstance(child.tag, str) else ("", "", "")
        if namespace != f"{{{SVG_NS}" or name not in SVG_FILE_TAGS:
            element.remove(child)  # comments and processing instructions too
            continue
        if name == "style" and _SVG_EXTERNAL.search(child.text or ""):
            element.remove(child)
            continue
        _clean_svg_attributes(child)
        _clean_svg_element(child)
    _clean_svg_attributes(element)


def _clean_svg_attributes(element) -> None:
    for key in list(element.attrib):
        namespace, _, name = key.rpartition("}")
        namespace = namespace.lstrip("{")
        value = element.attrib[key]
        if namespace not in ("", XLINK_NS, XML_NS) or name.lower().startswith("on"):
            del element.attrib[key]
        elif name == "href":
            inert = value.strip().startswith("#") or (element.tag.endswith("}image") and _RASTER_DATA.match(value))
            if not inert:
                del element.attrib[key]
        elif _SVG_EXTERNAL.search(value):
            del element.attrib[key]
