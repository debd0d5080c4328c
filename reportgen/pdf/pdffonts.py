"""One font program per face in a bound PDF.

Each separately typeset part embeds its own subset of every face it uses, so
a book of fifteen chapters carried fifteen copies of Noto Serif CJK SC.
WeasyPrint subsets with retained glyph ids, so every part's subset numbers
glyphs as the original font does.  Binding therefore subsets each face once
more, from the installed font file, with the union of the glyphs all parts
use, and points every part at that one program; each part keeps its own
widths and text mapping.  Faces that cannot be found, colour-emoji and
variable fonts are left as they are.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
from functools import lru_cache
from pathlib import Path

from reportgen import output

#: Tables WeasyPrint drops from embedded subsets; dropped here too, to match.
DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")
#: Faces carrying these tables are embedded specially by WeasyPrint; leave them alone.
SPECIAL_TABLES = frozenset({"CBDT", "CBLC", "COLR", "CPAL", "SVG ", "sbix", "fvar"})
PROGRAM_KEYS = ("/FontFile3", "/FontFile2")


def share_fonts(writer, cache: Path | None = None) -> int:
    """Give every part of ``writer`` one shared program per face; return how many faces were shared.

    With a ``cache`` folder, each face's program is kept there by the installed file and the
    glyphs it holds: after an edit that brings no new character, binding subsets nothing."""
    shared, kept = 0, set()
    for members in _faces(writer).values():
        streams = {_identity(fd.raw_get(key)): fd[key].get_object() for fd, key, _ in members}
        if len(streams) < 2:
            continue
        glyphs = _glyphs(members)
        origin = _origin(next(iter(streams.values())).get_data())
        name = _cache_name(origin, glyphs) if cache is not None else None
        program = _read(cache / name) if name else None
        if program is None:
            program = _union_program(origin, glyphs)
            if program is not None and name:
                output.write_bytes(cache / name, program)
        if program is None:
            continue
        kept.add(name)
        ref = writer._add_object(_stream(program, members[0][1]))
        for fd, key, _ in members:
            fd[_name(key)] = ref
        shared += 1
    if shared:
        writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    for old in cache.glob("font-*.otf") if cache is not None else ():  # only what the latest book uses
        if old.name not in kept:
            old.unlink(missing_ok=True)
    return shared


def _cache_name(origin: tuple[str, int] | None, glyphs: set[int]) -> str | None:
    """The cached program's file name: the installed face (file, index, size, time) and the glyphs."""
    if origin is None or not glyphs:
        return None
    try:
        stat = os.stat(origin[0])
    except OSError:
        return None
    digest = hashlib.sha256(repr((origin, stat.st_size, stat.st_mtime_ns, sorted(glyphs))).encode())
    return f"font-{digest.hexdigest()}.otf"


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() or None
    except OSError:
        return None


def _identity(reference) -> object:
    return getattr(reference, "idnum", None) or id(reference)


def _faces(writer) -> dict[str, list]:
    """Face name (without the subset tag) → [(font descriptor, program key, CID font)]."""
    faces: dict[str, list] = {}
    seen: set[int] = set()
    for resources in _resources(writer):
        fonts = resources.get("/Font")
        for font in fonts.get_object().values() if fonts is not None else []:
            font = font.get_object()
            if font.get("/Subtype") != "/Type0" or id(font) in seen:
                continue
            seen.add(id(font))
            cid_font = font["/DescendantFonts"][0].get_object()
            descriptor = cid_font["/FontDescriptor"].get_object()
            key = next((k for k in PROGRAM_KEYS if k in descriptor), None)
            if key is not None:
                face = str(font["/BaseFont"]).split("+", 1)[-1]
                faces.setdefault(face, []).append((descriptor, key, cid_font))
    return faces


def _resources(writer):
    """Every page's resources, and those of the forms drawn on it (the page numbers)."""
    for page in writer.pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        resources = resources.get_object()
        yield resources
        xobjects = resources.get("/XObject")
        for xobject in xobjects.get_object().values() if xobjects is not None else []:
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                yield xobject["/Resources"].get_object()


def _glyphs(members) -> set[int]:
    """Glyph ids used by any part: the CIDs its widths array lists (CID = glyph id here)."""
    glyphs: set[int] = set()
    for _, _, cid_font in members:
        widths = list(cid_font.get("/W", []))
        i = 0
        while i < len(widths):
            first = int(widths[i])
            following = widths[i + 1].get_object() if hasattr(widths[i + 1], "get_object") else widths[i + 1]
            if isinstance(following, list):
                glyphs.update(range(first, first + len(following)))
                i += 2
            else:
                glyphs.update(range(first, int(following) + 1))
                i += 3
    return glyphs


def _union_program(origin: tuple[str, int] | None, glyphs: set[int]) -> bytes | None:
    """The installed face at ``origin`` (file, index), subset to ``glyphs`` as WeasyPrint subsets."""
    if origin is None or not glyphs:
        return None
    import uharfbuzz as hb

    path, index = origin
    face = hb.Face(hb.Blob.from_file_path(path), index)
    keep = _subset(hb, face, glyphs, hb.SubsetFlags.RETAIN_GIDS)
    if keep is None:
        return None
    # Second pass, as WeasyPrint does: trim the empty glyphs after the last one used.
    trimmed = _subset(hb, hb.Face(hb.Blob(keep)), set(range(max(glyphs) + 1)), hb.SubsetFlags.DEFAULT)
    return trimmed


def _subset(hb, face, glyphs: set[int], extra) -> bytes | None:
    subset_input = hb.SubsetInput()
    for glyph in sorted(glyphs):
        subset_input.glyph_set.add(glyph)
    subset_input.flags = (
        extra | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NO_HINTING
    )
    drop = subset_input.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for tag in DROP_TABLES:
        drop.add(int.from_bytes(tag.encode("ascii"), "big"))
    result = hb.subset(face, subset_input)
    data = result.blob.data if result is not None else b""
    return bytes(data) or None


def _origin(embedded: bytes) -> tuple[str, int] | None:
    """(installed file, face index) of an embedded subset, by its PostScript name."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        name = TTFont(io.BytesIO(embedded), lazy=True)["name"].getDebugName(6)
    except (TTLibError, KeyError, AssertionError, ValueError):
        return None
    origin = _installed().get(name)
    if origin is None:
        return None
    try:
        tables = set(TTFont(origin[0], fontNumber=origin[1], lazy=True).keys())
    except (OSError, TTLibError):
        return None
    return None if tables & SPECIAL_TABLES else origin


@lru_cache(maxsize=1)  # invalidated by nothing: fonts installed later are seen by the next process
def _installed() -> dict[str, tuple[str, int]]:
    """PostScript name → (file, index) of every installed face, from fontconfig."""
    try:
        listing = subprocess.run(
            ["fc-list", "-f", "%{postscriptname}\t%{file}\t%{index}\n"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    faces = {}
    for line in listing.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] and parts[2].isdigit():
            faces.setdefault(parts[0], (parts[1], int(parts[2])))
    return faces


def _stream(program: bytes, key: str):
    from pypdf.generic import DecodedStreamObject, NameObject, NumberObject

    stream = DecodedStreamObject()
    stream.set_data(program)
    if key == "/FontFile3":
        stream[NameObject("/Subtype")] = NameObject("/OpenType")
    else:
        stream[NameObject("/Length1")] = NumberObject(len(program))
    return stream.flate_encode()


def _name(key: str):
    from pypdf.generic import NameObject

    return NameObject(key)
