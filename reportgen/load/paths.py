"""Path components from a source, checked where they enter.

A path written in a section, in ``report.yaml`` or derived from an ``id`` ends
up as a file name to look up or to write.  A NUL byte (``%00`` once decoded)
makes Python raise instead of answering, a name part over 255 bytes is refused
by every common file system, and names such as ``CON`` or ``aux.png`` cannot
exist on Windows, where a published report is often checked out.  Checking
them here turns each into a diagnostic at its line instead of a traceback, or
an output that cannot be written, later.
"""

from __future__ import annotations

import re

MAX_NAME = 255
"""Bytes one name part may have (ext4, APFS, NTFS and others stop here)."""

RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)
"""Names Windows reserves for devices, with any extension."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def problem(path: str) -> str | None:
    """What makes ``path`` unusable as a file path, or None."""
    control = _CONTROL.search(path)
    if control:
        what = "a NUL byte" if control.group() == "\x00" else f"a control character (U+{ord(control.group()):04X})"
        return f"holds {what}"
    for part in re.split(r"[/\\]", path):
        size = len(part.encode("utf-8", "surrogatepass"))
        if size > MAX_NAME:
            return f"has a name part of {size:,} bytes (at most {MAX_NAME})"
        if part.split(".")[0].rstrip(" ").lower() in RESERVED:
            return f"uses the name '{part}', which Windows reserves for a device"
    return None


def shown(path: str) -> str:
    """``path`` as it can be printed on one line: control characters escaped, long parts shortened."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", path)
    return text if len(text) <= 120 else text[:60] + "…" + text[-20:]
