"""``report.yaml``: the manifest, read and checked option by option.

Every problem is collected (with its line) before the build gives up, so a
user fixes the manifest in one pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

from reportgen.errors import Diagnostics
from reportgen.load import confine, paths, yamlio
from reportgen.model import DEFAULT_MARKERS, BackCover, Colophon, Language, Manifest, Part, PrintOptions, Status

MANIFEST = "report.yaml"

#: Every top-level key, with what it means (shown when a key is unknown).
KEYS = MappingProxyType(
    {
        "title": "the report's title (required)",
        "subtitle": "a line under the title on the cover",
        "organisation": "who publishes the report",
        "author": "the PDF's author field (defaults to the organisation)",
        "year": "the year the report covers (required)",
        "language": "BCP 47 language tag, e.g. zh-CN",
        "logo": "cover logo, a file inside the report",
        "sections": "the ordered list of section files (required); '- part: TITLE' with its own 'sections:' groups them",
        "toc_depth": "heading levels the contents list shows (1-6, default 2)",
        "bookmark_depth": "heading levels the PDF's bookmarks show (1-6, default 3)",
        "markers": "status markers: editing/reviewing/done → list of emoji",
        "editions": "edition options: public: {unfinished: omit|placeholder}",
        "limits": "limits: {max_file_size: '5MB', max_chart_rows: 10000, max_chart_data: '2MB'}",
        "remote": "remote resources: {fetch: false, budget: seconds}",
        "languages": "the report's languages, source first: [zh-CN, en] or {en: {title: …}}",
        "translations": "translations: {path: '{dir}/{lang}/{name}'}",
        "public": "the folder images written from the site root (/image/x.png) are in; "
        "default: public, static or docs/public, whichever exists",
        "tables": "how tables are ruled: {style: three-line|grid|plain}",
        "lists": "lists after the PDF's contents: [figures, tables] (图目录, 表目录)",
        "cover_image": "a picture for the cover, a file inside the report",
        "back_cover": "the back cover: {website:, contact: [lines], qr: image file}",
        "colophon": "the colophon (版权页): {editor:, edition:, license:, contact:, credits: [lines]}",
        "numbering": "chapter numbers: chapter-cn (第一章) | cn-list (一、) | decimal (1.) | none",
        "print": "a PDF for the printer: {bleed: 3mm, marks: crop, recto: true, mirror: true, variant: pdf/x-4, "
        "output_profile: file.icc}",
        "pdf": "an archival or accessible PDF: {variant: pdf/a-3b | pdf/ua-1 …}",
        "punctuation": "full-width punctuation in the PDF: compress (half width where marks meet) or full",
        "latin_spacing": "space between Han characters and Latin letters or digits, e.g. 0.25em (0 for none)",
    }
)
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
LANGUAGE_KEYS = ("title", "subtitle", "organisation", "author")
#: Where site generators keep files served from the site root (VitePress, Hugo, VuePress).
PUBLIC_FOLDERS = ("public", "static", "docs/public", "docs/.vuepress/public")
LISTS = ("figures", "tables")
UNFINISHED = ("omit", "placeholder")
NUMBERING = ("chapter-cn", "cn-list", "decimal", "none")
PRINT_VARIANTS = ("pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/x-5g")
PDF_VARIANTS = (
    "pdf/a-1b",
    "pdf/a-2b",
    "pdf/a-3b",
    "pdf/a-2u",
    "pdf/a-3u",
    "pdf/a-4u",
    "pdf/a-1a",
    "pdf/a-2a",
    "pdf/a-3a",
    "pdf/ua-1",
    "pdf/ua-2",
)
MARKS = ("crop", "cross", "crop cross", "cross crop")
PUNCTUATION = ("compress", "full")

#: Each key of ``limits:``: (default, largest allowed, what it is).
LIMITS = MappingProxyType(
    {
        "max_file_size": (5 * 1024**2, 1024**3, "bytes a section file may have"),
        "max_chart_rows": (10_000, 1_000_000, "rows one chart's data may have"),
        "max_chart_data": (2 * 1024**2, 1024**3, "bytes a chart's data file may have"),
    }
)
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
    reader = _Reader(data, lines, diags, yamlio.nested_item_lines(text, "sections"), source)
    reader.raw = yamlio.raw_scalars(text)
    return reader.manifest()


class _Reader:
    def __init__(self, data: dict, lines: dict[str, int], diags: Diagnostics, items: dict[str, int], source: Path):
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
            parts=self.parts(),
            section_lines=self.items,
            toc_depth=self.depth("toc_depth", 2),
            bookmark_depth=self.depth("bookmark_depth", 3),
            markers=self.markers(),
            unfinished=self.unfinished(),
            **self.limits(),
            public=self.public(),
            **self.remote(),
            table_style=self.table_style(),
            lists=self.lists(),
            cover_image=self.file("cover_image", self.text("cover_image")),
            back_cover=self.back_cover(),
            colophon=self.colophon(),
            numbering=self.choice("numbering", NUMBERING, "none"),
            print=self.print_options(),
            pdf_variant=self.pdf_variant(),
            **self.typography(),
        )
        fields.update(self.languages())
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
        return self.file("logo", self.text("logo"))

    def file(self, key: str, rel, what: str | None = None) -> str | None:
        """``rel`` if it names a file inside the report, else None with a problem at ``key``."""
        what = what or key
        if rel is None:
            return None
        if not isinstance(rel, str):
            self.problem(key, f"{what} must be a file path inside the report, got {rel!r}")
            return None
        if (wrong := paths.problem(rel)) is not None:
            self.problem(key, f"{what} path {wrong}: {paths.shown(rel)}")
            return None
        full = (self.source / rel).resolve()
        if not full.is_relative_to(self.source.resolve()):
            self.problem(key, f"{what} must be a file inside the report folder: {rel}")
            return None
        if not full.is_file():
            self.problem(key, f"{what} file not found: {rel}")
            return None
        if confine.inside(self.source, self.source / rel) is None:
            self.problem(key, f"{what} cannot be used ({confine.why_not(self.source, self.source / rel)}): {rel}")
            return None
        return rel

    def mapping(self, key: str, allowed: tuple[str, ...]) -> dict:
        """The mapping under ``key`` (empty when absent), its unknown keys reported."""
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, f"'{key}' must be a mapping with keys {', '.join(allowed)}")
            return {}
        for name in value:
            if name not in allowed:
                self.problem(key, f"unknown key '{key}.{name}' (allowed: {', '.join(allowed)})")
        return value

    def words(self, key: str, value, what: str, many: bool = False):
        """Text (or, with ``many``, a line or a list of lines) from a nested option."""
        if value is None:
            return () if many else None
        if many and isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
            return tuple(str(v) for v in value)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return (str(value),) if many else str(value)
        self.problem(key, f"{what} must be text{' or a list of lines' if many else ''}, got {value!r}")
        return () if many else None

    def choice(self, key: str, allowed: tuple[str, ...], default: str, value=None, what: str | None = None) -> str:
        value = self.data.get(key, default) if value is None else value
        if value not in allowed:
            self.problem(key, f"{what or key} must be one of {', '.join(allowed)}, got {value!r}")
            return default
        return value

    def back_cover(self) -> BackCover:
        value = self.mapping("back_cover", ("website", "contact", "qr"))
        return BackCover(
            website=self.words("back_cover", value.get("website"), "back_cover.website"),
            contact=self.words("back_cover", value.get("contact"), "back_cover.contact", many=True),
            qr=self.file("back_cover", value.get("qr"), "back_cover.qr"),
        )

    def colophon(self) -> Colophon:
        value = self.mapping("colophon", ("editor", "edition", "license", "contact", "credits"))
        text = {
            name: self.words("colophon", value.get(name), f"colophon.{name}")
            for name in ("editor", "edition", "license", "contact")
        }
        return Colophon(**text, credits=self.words("colophon", value.get("credits"), "colophon.credits", many=True))

    def print_options(self) -> PrintOptions | None:
        if self.data.get("print") is None:
            return None
        value = self.mapping("print", ("bleed", "marks", "recto", "mirror", "variant", "output_profile"))
        bleed = value.get("bleed")
        if bleed is not None and not re.fullmatch(r"\d+(\.\d+)?(mm|cm|pt|in|px)|0", str(bleed).strip()):
            self.problem("print", f"print.bleed must be a length such as 3mm, got {bleed!r}")
            bleed = None
        marks = value.get("marks")
        if marks is not None:
            marks = self.choice("print", MARKS, None, value=str(marks), what="print.marks")
        flags = {}
        for name in ("recto", "mirror"):
            flags[name] = value.get(name, False)
            if not isinstance(flags[name], bool):
                self.problem("print", f"print.{name} must be true or false")
                flags[name] = False
        variant = value.get("variant")
        if variant is not None:
            variant = self.choice("print", PRINT_VARIANTS, None, value=str(variant).lower(), what="print.variant")
        profile = self.file("print", value.get("output_profile"), "print.output_profile")
        if variant and not profile:
            self.problem(
                "print",
                f"print.variant {variant} needs the printer's ICC profile for its output intent: "
                "print.output_profile: assets/your-printer.icc (ask the print shop)",
            )
        return PrintOptions(
            bleed=str(bleed) if bleed is not None else None,
            marks=marks,
            variant=variant,
            output_profile=profile,
            **flags,
        )

    def pdf_variant(self) -> str | None:
        value = self.mapping("pdf", ("variant",))
        variant = value.get("variant")
        if variant is None:
            return None
        variant = self.choice("pdf", PDF_VARIANTS, None, value=str(variant).lower(), what="pdf.variant")
        printing = self.data.get("print")
        if variant and isinstance(printing, dict) and printing.get("variant"):
            self.problem("pdf", "pdf.variant and print.variant both given: a PDF has one variant; choose one")
        return variant

    def sections(self) -> tuple[str, ...]:
        value = self.data.get("sections")
        if not isinstance(value, list) or not value:
            self.error("sections", "'sections' must be a list of section files, e.g. - sections/01-intro.md")
            return ()
        listed: list[str] = []
        for item in value:
            for path in self._part_paths(item) if isinstance(item, dict) else [item]:
                if not isinstance(path, str) or not path.endswith(".md"):
                    self.error("sections", f"a section must be a .md file path, got {path!r}")
                elif path.replace("\\", "/") in listed:
                    self.error("sections", f"section listed twice: {path}")
                elif (wrong := paths.problem(path)) is not None:
                    self.diags.error(
                        MANIFEST,
                        self.items.get(path) or self.lines.get("sections"),
                        f"section path {wrong}: {paths.shown(path)}",
                    )
                    self.ok = False
                else:
                    listed.append(path.replace("\\", "/"))
        return tuple(listed)

    def _part_paths(self, item: dict) -> list:
        """The section paths of a ``- part: TITLE`` item, or nothing (with an error) when it is malformed."""
        title, listed = item.get("part"), item.get("sections")
        if (
            set(item) != {"part", "sections"}
            or not isinstance(title, str)
            or not title.strip()
            or not isinstance(listed, list)
            or not listed
        ):
            self.error(
                "sections", f"a part is written '- part: TITLE' with its own 'sections:' list of files, got {item!r}"
            )
            return []
        return listed

    def parts(self) -> tuple[Part, ...]:
        value = self.data.get("sections")
        items = value if isinstance(value, list) else []
        return tuple(
            Part(item["part"].strip(), tuple(p.replace("\\", "/") for p in item["sections"] if isinstance(p, str)))
            for item in items
            if isinstance(item, dict) and isinstance(item.get("part"), str) and isinstance(item.get("sections"), list)
        )

    def depth(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 6:
            self.error(key, f"'{key}' must be a heading level from 1 to 6, got {value!r}")
            return default
        return value

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
                self.error(
                    f"limits.{key}",
                    f"limits.{key} ({what}) must be a number from 1 to {largest:,} such as {example}, got {value!r}",
                )
                continue
            values[key] = number
        return values

    def public(self) -> tuple[str, ...]:
        value = self.data.get("public")
        if value is None:
            return tuple(f for f in PUBLIC_FOLDERS if (self.source / f).is_dir() and _inside(self.source, f))
        folder = self.text("public")
        if folder is None:
            return ()
        folder = folder.strip().strip("/") or "."
        if not _inside(self.source, folder):
            self.problem("public", f"public must be a folder inside the report folder: {value}")
            return ()
        if not (self.source / folder).is_dir():
            self.problem("public", f"public folder not found: {value}")
            return ()
        return (folder,)

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
            self.error(
                "remote.budget" if "budget" in remote else "remote",
                f"remote.budget must be a number of seconds from 0 to {BUDGET[1]}, got {budget!r}",
            )
            budget = BUDGET[0]
        return {"remote_fetch": fetch, "remote_budget": float(budget)}

    def table_style(self) -> str:
        from reportgen.render.markdown import TABLE_STYLES

        tables = self.data.get("tables") or {}
        style = tables.get("style", TABLE_STYLES[0]) if isinstance(tables, dict) else None
        if style not in TABLE_STYLES:
            self.problem(
                "tables",
                f"tables.style must be one of {', '.join(TABLE_STYLES)}, got {style!r}"
                if isinstance(tables, dict)
                else "'tables' must be a mapping: {style: three-line}",
            )
            return TABLE_STYLES[0]
        return style

    def lists(self) -> tuple[str, ...]:
        value = self.data.get("lists") or []
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(item in LISTS for item in value):
            self.problem("lists", f"'lists' is a list of: {', '.join(LISTS)}, got {self.data.get('lists')!r}")
            return ()
        return tuple(dict.fromkeys(value))

    def languages(self) -> dict:
        """``languages`` and ``translations``; the first language is the source language."""
        value = self.data.get("languages")
        if value is None:
            return {}
        items = list(value.items()) if isinstance(value, dict) else value
        if not isinstance(items, list) or not items:
            self.error("languages", "'languages' lists language tags, the source language first: [zh-CN, en]")
            return {}
        languages = []
        for item in items:
            tag, options = (item, {}) if isinstance(item, str) else _one_pair(item)
            if isinstance(options, dict) and options is not None and tag is not None:
                language = self._language(str(tag), options or {})
                if language is not None and all(language.tag != l.tag for l in languages):
                    languages.append(language)
                elif language is not None:
                    self.error("languages", f"language listed twice: {tag}")
            else:
                self.error(
                    "languages", f"a language is a tag or a tag with its titles ({{en: {{title: …}}}}), got {item!r}"
                )
        declared = self.data.get("language")
        if languages and declared is not None and declared != languages[0].tag:
            self.error(
                "languages",
                f"the first of 'languages' is the source language; it is {languages[0].tag!r} "
                f"but 'language' says {declared!r}",
            )
        result = {"languages": tuple(languages), "language": languages[0].tag} if languages else {}
        return result | self._translation_path()

    def _language(self, tag: str, options: dict) -> Language | None:
        if not LANGUAGE_TAG.match(tag):
            self.error("languages", f"{tag!r} is not a language tag such as zh-CN, en or ja")
            return None
        unknown = [k for k in options if k not in LANGUAGE_KEYS]
        if unknown:
            self.error("languages", f"{tag}: unknown key '{unknown[0]}' (allowed: {', '.join(LANGUAGE_KEYS)})")
        texts = {k: options[k] for k in LANGUAGE_KEYS if isinstance(options.get(k), str)}
        return Language(tag, **texts)

    def _translation_path(self) -> dict:
        value = self.data.get("translations")
        if value is None:
            return {}
        path = value.get("path") if isinstance(value, dict) else None
        fields = _pattern_fields(path) if isinstance(path, str) else None
        if fields is None or "lang" not in fields or not ({"name", "stem"} & fields) or ".." in path.split("/"):
            self.error(
                "translations",
                "translations.path is a pattern with {lang} and {name}, "
                "e.g. '{dir}/{lang}/{name}' or '{dir}/{stem}.{lang}.md', inside the report",
            )
            return {}
        return {"translation_path": path}

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


def _pattern_fields(pattern: str) -> set[str] | None:
    """The {fields} of a path pattern; None when it holds anything but {dir}, {lang}, {name}, {stem}."""
    import string

    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError:
        return None
    fields = {name for _, name, spec, conv in parts if name is not None}
    plain = all(not spec and not conv for _, name, spec, conv in parts if name is not None)
    return fields if plain and fields <= {"dir", "lang", "name", "stem"} else None


def _one_pair(item) -> tuple:
    """``{en: {...}}`` → (``en``, {...}); anything else → (None, None)."""
    if isinstance(item, dict) and len(item) == 1:
        return next(iter(item.items()))
    return None, None


def _inside(source: Path, rel: str) -> bool:
    return (source / rel).resolve().is_relative_to(source.resolve())


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
