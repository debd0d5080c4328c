"""``report.yaml``: the manifest, read and checked option by option.

Every problem is collected (with its line) before the build gives up, so a
user fixes the manifest in one pass.
"""

from __future__ import annotations

import re
from pathlib import Path

from reportgen import yamlio
from reportgen.errors import Diagnostics
from reportgen.model import DEFAULT_MARKERS, Manifest, Status

MANIFEST = "report.yaml"

#: Every top-level key, with what it means (shown when a key is unknown).
KEYS = {
    "title": "the report's title (required)",
    "subtitle": "a line under the title on the cover",
    "organisation": "who publishes the report",
    "author": "the PDF's author field (defaults to the organisation)",
    "year": "the year the report covers (required)",
    "language": "BCP 47 language tag, e.g. zh-CN",
    "logo": "cover logo, a file inside the report",
    "sections": "the ordered list of section files (required)",
    "markers": "status markers: editing/reviewing/done → list of emoji",
    "editions": "edition options: public: {unfinished: omit|placeholder}",
    "limits": "limits: {max_file_size: bytes or '5MB'}",
    "remote": "remote resources: {fetch: false, budget: seconds}",
    "punctuation": "full-width punctuation in the PDF: compress (half width where marks meet) or full",
    "latin_spacing": "space between Han characters and Latin letters or digits, e.g. 0.25em (0 for none)",
}
UNFINISHED = ("omit", "placeholder")
PUNCTUATION = ("compress", "full")


def load_manifest(source: Path, diags: Diagnostics) -> Manifest | None:
    """Read ``source/report.yaml``; None (with diagnostics) when it cannot be used."""
    path = source / MANIFEST
    if not path.is_file():
        diags.error(MANIFEST, None, f"no {MANIFEST} in {source}: is this a report source folder?")
        return None
    text = path.read_text(encoding="utf-8-sig", errors="replace").replace("\r\n", "\n")
    try:
        data = yamlio.load(text)
    except yamlio.YamlProblem as exc:
        diags.error(MANIFEST, exc.line, exc.message)
        return None
    if not isinstance(data, dict):
        diags.error(MANIFEST, 1, "report.yaml must be a mapping of keys such as title, year, sections")
        return None
    reader = _Reader(data, yamlio.key_lines(text), diags, yamlio.item_lines(text, "sections"), source)
    reader.raw = yamlio.raw_scalars(text)
    return reader.manifest()


class _Reader:
    def __init__(self, data: dict, lines: dict[str, int], diags: Diagnostics, items: list[int], source: Path):
        self.data, self.lines, self.diags, self.items, self.source = data, lines, diags, items, source
        self.ok = True

    def error(self, key: str, message: str) -> None:
        """A mistake that makes the manifest unusable: the build cannot go on."""
        self.ok = False
        self.diags.error(MANIFEST, self.lines.get(key), message)

    def problem(self, key: str, message: str) -> None:
        """A mistake that fails the build, but the sections can still be checked."""
        self.diags.error(MANIFEST, self.lines.get(key), message)

    def manifest(self) -> Manifest | None:
        for key in self.data:
            if key not in KEYS:
                allowed = ", ".join(KEYS)
                self.problem(str(key), f"unknown key '{key}' (allowed: {allowed})")
        fields = dict(
            title=self.text("title", required=True),
            subtitle=self.text("subtitle"),
            organisation=self.text("organisation"),
            author=self.text("author"),
            year=self.year(),
            language=self.text("language") or "zh-CN",
            logo=self.logo(),
            sections=self.sections(),
            section_lines=self.section_lines(),
            markers=self.markers(),
            unfinished=self.unfinished(),
            max_file_size=self.max_file_size(),
            **self.remote(),
            **self.typography(),
        )
        return Manifest(**fields) if self.ok else None

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, f"'{key}' is required")
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.error(key, f"'{key}' must be text, got {type(value).__name__}; quote it")
            return None
        return value if isinstance(value, str) else getattr(self, "raw", {}).get(key, str(value))

    def year(self) -> int:
        value = self.data.get("year")
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 9999:
            return value
        self.error("year", f"'year' must be a four-digit year, got {self.data.get('year')!r}")
        return 0

    def logo(self) -> str | None:
        logo = self.text("logo")
        if logo is None:
            return None
        full = (self.source / logo).resolve()
        if not full.is_relative_to(self.source.resolve()):
            self.problem("logo", f"logo must be a file inside the report folder: {logo}")
            return None
        if not full.is_file():
            self.problem("logo", f"logo file not found: {logo}")
            return None
        return logo

    def section_lines(self) -> dict[str, int]:
        listed = self.data.get("sections")
        if not isinstance(listed, list):
            return {}
        return {item.replace("\\", "/"): line for item, line in zip(listed, self.items) if isinstance(item, str)}

    def sections(self) -> tuple[str, ...]:
        value = self.data.get("sections")
        if not isinstance(value, list) or not value:
            self.error("sections", "'sections' must be a list of section files, e.g. - sections/01-intro.md")
            return ()
        paths = []
        for item in value:
            if not isinstance(item, str) or not item.endswith(".md"):
                self.error("sections", f"a section must be a .md file path, got {item!r}")
                continue
            if item in paths:
                self.error("sections", f"section listed twice: {item}")
                continue
            paths.append(item.replace("\\", "/"))
        return tuple(paths)

    def markers(self) -> dict[Status, tuple[str, ...]]:
        value = self.data.get("markers")
        if value is None:
            return dict(DEFAULT_MARKERS)
        names = {s.value: s for s in (Status.EDITING, Status.REVIEWING, Status.DONE)}
        if not isinstance(value, dict) or not set(value) <= set(names):
            self.error("markers", "'markers' maps editing, reviewing and done to lists of emoji")
            return dict(DEFAULT_MARKERS)
        markers = dict(DEFAULT_MARKERS)
        for name, marks in value.items():
            marks = [marks] if isinstance(marks, str) else marks
            if not isinstance(marks, list) or not all(isinstance(m, str) and m.strip() for m in marks):
                self.error("markers", f"markers for '{name}' must be a list of emoji")
                continue
            markers[names[name]] = tuple(m.strip() for m in marks)
        return markers

    def unfinished(self) -> str:
        editions = self.data.get("editions") or {}
        public = editions.get("public") if isinstance(editions, dict) else None
        value = (public or {}).get("unfinished", "omit") if isinstance(public, dict) else "omit"
        if value not in UNFINISHED:
            self.error("editions", f"editions.public.unfinished must be one of {', '.join(UNFINISHED)}, got {value!r}")
            return "omit"
        return value

    def max_file_size(self) -> int:
        limits = self.data.get("limits") or {}
        value = limits.get("max_file_size", "5MB") if isinstance(limits, dict) else "5MB"
        size = parse_size(value)
        if size is None:
            self.error("limits", f"limits.max_file_size must be a size such as 5MB or 500KB, got {value!r}")
            return 5 * 1024 * 1024
        return size

    def remote(self) -> dict:
        remote = self.data.get("remote") or {}
        if not isinstance(remote, dict):
            self.error("remote", "'remote' must be a mapping: {fetch: false, budget: 20}")
            return {}
        fetch, budget = remote.get("fetch", False), remote.get("budget", 20)
        if not isinstance(fetch, bool):
            self.error("remote", "remote.fetch must be true or false")
            fetch = False
        if not isinstance(budget, (int, float)) or isinstance(budget, bool) or budget <= 0:
            self.error("remote", "remote.budget must be a number of seconds")
            budget = 20
        return {"remote_fetch": fetch, "remote_budget": float(budget)}

    def typography(self) -> dict:
        language = self.data.get("language")
        default = "compress" if not isinstance(language, str) or language.lower().startswith("zh") else "full"
        punctuation = self.data.get("punctuation", default)
        if punctuation not in PUNCTUATION:
            self.error("punctuation", f"'punctuation' must be one of {', '.join(PUNCTUATION)}, got {punctuation!r}")
            punctuation = default
        spacing = self.data.get("latin_spacing", "0.25em")
        spacing = f"{spacing}em" if isinstance(spacing, (int, float)) and not isinstance(spacing, bool) else spacing
        if not isinstance(spacing, str) or not re.fullmatch(r"0|(\d*\.)?\d+(em|pt|mm)", spacing.strip()):
            self.error("latin_spacing", f"'latin_spacing' must be a length such as 0.25em, 2pt or 0, got {spacing!r}")
            spacing = "0.25em"
        return {"punctuation": punctuation, "latin_spacing": spacing.strip()}


def parse_size(value) -> int | None:
    """Bytes from 5242880, '5MB', '500 KB', '1.5 MiB'."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*", str(value), re.IGNORECASE)
    if not match:
        return None
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)
