"""Fonts and the house chart style: the one place that names typefaces.

The print stylesheet (its ``--serif``, ``--sans`` and ``--mono``, set by
`print_faces`) and matplotlib (through `configure_matplotlib`) draw from the
same tuples, so a chart's labels and the page around it use the same faces.  The Simplified Chinese faces are named
explicitly because fontconfig otherwise hands Chinese text the Japanese face
of Noto CJK.  "Noto Color Emoji" is deliberately absent: listed in a
``font-family``, Pango draws digits with it; fontconfig's fallback still
finds it for real emoji.

This module also owns the matplotlib style (palette, ink, grid), because it
is set in the same call as the fonts.  Importing it costs nothing: matplotlib
is imported only when `configure_matplotlib` runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SANS: tuple[str, ...] = ("Noto Sans CJK SC", "DejaVu Sans")
"""Sans-serif faces, best first: CJK (with Latin), then a Latin fallback."""

SERIF: tuple[str, ...] = ("Noto Serif CJK SC", "Noto Sans CJK SC", "DejaVu Serif")
"""Serif faces for body text; the sans CJK face backs up glyphs the serif lacks."""

MONO: tuple[str, ...] = ("DejaVu Sans Mono", "Noto Sans Mono CJK SC")
"""Monospaced faces for code: Latin first (its digits and letters are the point), then CJK."""

LATIN_FIRST: Mapping[str, str] = MappingProxyType(
    {
        "Noto Sans CJK SC": "DejaVu Sans",
        "Noto Serif CJK SC": "DejaVu Serif",
    }
)
"""For a report in a language written without Han characters: the Latin face set
before each Chinese face (the Chinese face still draws any Han text, such as a
section not translated yet)."""

PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#8C8C8C",  # grey
)
"""Series colours in order: Okabe–Ito, which stays distinct under the common
colour-vision deficiencies.  Its yellow and black are left out and every
colour is mid-luminance, so the cycle reads on a white page and a dark one."""

INK = "#262626"
"""Colour of text, axes and grid as drawn by matplotlib.  `reportgen.render.charts`
rewrites it to ``currentColor`` so an inlined chart takes the text colour of
the page (dark mode included); keep it out of `PALETTE`."""

FIGSIZE = (6.4, 3.6)
"""Figure size in inches: a 16 cm text column shows it at about 1:1, so the
9–10 pt chart text stays 9–10 pt on paper."""

# Whether matplotlib's backend is chosen in this process; never invalidated (rcParams are reset on every use).
_configured = False


def css_family(faces: tuple[str, ...], generic: str | None = None) -> str:
    """A CSS ``font-family`` value: the quoted faces, then a generic family.

    The generic family defaults to ``serif`` when the first face is a serif
    face, else ``sans-serif``.
    """
    if generic is None:
        generic = "serif" if "Serif" in faces[0] else "sans-serif"
    quoted = ['"' + face.replace("\\", "\\\\").replace('"', '\\"') + '"' for face in faces]
    return ", ".join([*quoted, generic])


def _style() -> dict[str, object]:
    """The rcParams of the house style (needs matplotlib importable)."""
    from cycler import cycler

    return {
        "font.family": list(SANS),
        "font.size": 10,
        "axes.labelsize": 9,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "figure.figsize": FIGSIZE,
        # Text stays text: searchable, small, and typeset by the PDF's own
        # font subset instead of ~110 ms of paths per chart.
        "svg.fonttype": "none",
        # Element ids are hashes salted with this; a fixed salt makes the SVG
        # byte-identical from run to run (charts override it per chart).
        "svg.hashsalt": "reportgen",
        # U+2212 is in the CJK face, but "-" matches what authors typed.
        "axes.unicode_minus": False,
        # Labels are the author's text: "$5 to $10" must not become mathtext.
        "text.parse_math": False,
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": INK + "99",
        "axes.linewidth": 0.8,
        "axes.axisbelow": True,
        "axes.grid": True,
        "grid.color": INK,
        "grid.alpha": 0.15,
        "grid.linewidth": 0.6,
        "text.color": INK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "legend.frameon": False,
        # Transparent, so the chart sits on whatever page colour surrounds it.
        "figure.facecolor": "none",
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
        "savefig.edgecolor": "none",
        "lines.linewidth": 2.0,
        "lines.markersize": 5,
        "patch.linewidth": 0,
    }


def configure_matplotlib() -> None:
    """Put matplotlib in the house style; safe to call before every chart.

    The first call imports matplotlib and selects the Agg backend.  Every
    call resets rcParams to matplotlib's built-in defaults and applies the
    house style, so neither a user's ``matplotlibrc`` nor code that changed
    rcParams in this process can change the output.
    """
    global _configured
    import matplotlib

    if not _configured:
        matplotlib.use("Agg")
        _configured = True
    import matplotlib.style

    matplotlib.style.use("default")
    matplotlib.rcParams.update(_style())


def print_faces(language: str) -> str:
    """The ``:root`` rule that sets the print stylesheet's ``--serif``, ``--sans`` and ``--mono``
    for a report in ``language``: as listed for Chinese, Japanese and Korean; with `LATIN_FIRST`
    faces leading every Chinese face otherwise, so English text is set in Latin faces, not in
    the Latin glyphs of a CJK face."""
    cjk = language.lower().split("-")[0] in ("zh", "ja", "ko")
    faces = {"serif": (SERIF, "serif"), "sans": (SANS, "sans-serif"), "mono": (MONO, "monospace")}
    values = (
        f"--{name}: {css_family(family if cjk else _latin_first(family), generic)};"
        for name, (family, generic) in faces.items()
    )
    return ":root { " + " ".join(values) + " }\n"


def _latin_first(faces: tuple[str, ...]) -> tuple[str, ...]:
    led = (face for cjk in faces for face in (LATIN_FIRST.get(cjk), cjk) if face)
    return tuple(dict.fromkeys(led))


def for_language(css: str, language: str) -> str:
    """The print stylesheet for a report in ``language``: its faces (`print_faces`) set before it."""
    return print_faces(language) + css
