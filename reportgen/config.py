"""``report.yaml``: the manifest, read and checked option by option.

Every problem is collected (with its line) before the build gives up, so a
user fixes the manifest in one pass.
"""

from __future__ import annotations

import re
from pathlib import Path

from reportgen import paths, yamlio
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
    "limits": "limits: {max_file_size: '5MB', max_chart_rows: 10000, max_chart_data: '2MB'}",
    "remote": "remote resources: {fetch: false, budget: seconds}",
}
UNFINISHED = ("omit", "placeholder")

#: Each key of ``limits:``: (default, largest allowed, what it is).
LIMITS = {
    "max_file_size": (5 * 1024**2, 1024**3, "bytes a section file may have"),
    "max_chart_rows": (10_000, 1_000_000, "rows one chart's data may have"),
    "max_chart_data": (2 * 1024**2, 1024**3, "bytes a chart's data file may have"),
}
BUDGET = (20, 3600)
"""remote.budget: the default and the largest allowed, in seconds."""


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
    lines = {**yamlio.subkey_lines(text), **yamlio.key_lines(text)}
    reader = _Reader(data, lines, diags, yamlio.item_lines(text, "sections"), source)
    reader.raw = yamlio.raw_scalars(text)
    return reader.manifest()


class _Reader:
    def __init__(self, data: dict, lines: dict[str, int], diags: Diagnostics, items: list[int], source: Path):
        self.data, self.lines, self.diags, self.items, self.source = data, lines, diags, items, source
        self.ok = True

    def error(self, key: str, message: str) -> None:
        """A mistake that makes the manifest unusable: the build cannot go on."""
        self.ok = False
        self.diags.error(MANIFEST, self.lines.get(key) or self.lines.get(key.split(".")[0]), message)

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
            **self.limits(),
            **self.remote(),
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
        if (wrong := paths.problem(logo)) is not None:
            self.problem("logo", f"logo path {wrong}: {paths.shown(logo)}")
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
        listed = []
        for item in value:
            if not isinstance(item, str) or not item.endswith(".md"):
                self.error("sections", f"a section must be a .md file path, got {item!r}")
                continue
            if item in listed:
                self.error("sections", f"section listed twice: {item}")
                continue
            if (wrong := paths.problem(item)) is not None:
                self.diags.error(MANIFEST, self.section_line(item), f"section path {wrong}: {paths.shown(item)}")
                self.ok = False
                continue
            listed.append(item.replace("\\", "/"))
        return tuple(listed)

    def section_line(self, item: str) -> int | None:
        listed = self.data.get("sections")
        lines = {i: n for i, n in zip(listed, self.items) if isinstance(i, str)} if isinstance(listed, list) else {}
        return lines.get(item) or self.lines.get("sections")

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

    def limits(self) -> dict[str, int]:
        limits = self.data.get("limits")
        values = {key: default for key, (default, _, _) in LIMITS.items()}
        if limits is None:
            return values
        if not isinstance(limits, dict):
            self.error("limits", "'limits' must be a mapping, e.g. {max_file_size: 5MB, max_chart_rows: 10000}")
            return values
        for key, value in limits.items():
            if key not in LIMITS:
                self.error(f"limits.{key}", f"unknown key 'limits.{key}' (allowed: {', '.join(LIMITS)})")
                continue
            _, largest, what = LIMITS[key]
            number = value if key == "max_chart_rows" else parse_size(value)
            if not _whole(number) or not 0 < number <= largest:
                example = "10000" if key == "max_chart_rows" else "5MB or 500KB"
                self.error(f"limits.{key}", f"limits.{key} ({what}) must be a number from 1 to {largest:,} "
                           f"such as {example}, got {value!r}")
                continue
            values[key] = number
        return values

    def remote(self) -> dict:
        remote = self.data.get("remote") or {}
        if not isinstance(remote, dict):
            self.error("remote", "'remote' must be a mapping: {fetch: false, budget: 20}")
            return {}
        fetch, budget = remote.get("fetch", False), remote.get("budget", 20)
        if not isinstance(fetch, bool):
            self.error("remote", "remote.fetch must be true or false")
            fetch = False
        if not isinstance(budget, (int, float)) or isinstance(budget, bool) or not 0 < budget <= BUDGET[1]:
            # `not 0 < budget` also refuses .nan; the upper bound refuses .inf and a build that never ends.
            self.error("remote.budget" if "budget" in remote else "remote",
                       f"remote.budget must be a number of seconds from 0 to {BUDGET[1]}, got {budget!r}")
            budget = BUDGET[0]
        return {"remote_fetch": fetch, "remote_budget": float(budget)}


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_size(value) -> int | None:
    """Bytes from 5242880, '5MB', '500 KB', '1.5 MiB'."""
    if isinstance(value, bool) or isinstance(value, float):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*", str(value), re.IGNORECASE)
    if not match:
        return None
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)
