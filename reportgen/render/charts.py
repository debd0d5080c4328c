"""Charts: ```chart blocks and dashboard data in, inlineable SVG text out.

This module owns the chart spec (`ChartSpec`, read from a fenced ```chart
block by `parse_chart`), the drawing of report charts (`chart_svg`) and of the
progress-dashboard charts (`status_counts_svg`, `owners_svg`, `words_svg`,
`burnup_svg`), and the on-disk SVG cache (`cached_svg`, `spec_key`,
`data_key`).

Every drawing function is pure: the same input gives byte-identical SVG in
any process.  The SVG is ready to inline into HTML: no XML prolog, no
document-wide ``<style>``, ids unique per chart, ``width="100%"`` with a
``viewBox`` so it scales to its column, and text/axes in ``currentColor`` so
it follows the page's text colour.  The chart title is not drawn (the caller
typesets the numbered caption); it becomes the SVG ``<title>``.

matplotlib is imported only when something is drawn, so a build whose charts
all come from the cache never pays for it.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import hashlib
import html
import io
import json
import math
import os
import pathlib
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import yaml

from reportgen import workers
from reportgen.load import confine, yamlio
from reportgen.model import Status
from reportgen.pdf import fonts

STYLE_VERSION = 2
"""Bump when the drawing changes, so cached SVGs are redrawn."""

TYPES = ("bar", "barh", "line", "pie", "stacked")
"""Allowed values of a chart block's ``type``."""

KEYS = ("type", "title", "caption", "data", "x", "y", "labels", "unit", "id")
"""Allowed keys of a chart block."""

DATA_SUFFIXES = (".csv", ".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class DataLimits:
    """How much data one chart may have (``limits:`` in report.yaml): drawing is bounded by it."""

    rows: int = 10_000
    bytes: int = 2 * 1024 * 1024


LARGEST = 2**53
"""Largest magnitude a chart value may have: beyond it floats lose whole numbers and the axes overflow."""
"""File types a chart block's ``data`` may name."""

STATUS_ORDER = tuple(status.value for status in Status.shown())
"""Unit statuses in the order the dashboard shows them (`model.STATUS_INFO`)."""

STATUS_COLOURS = MappingProxyType({status.value: status.info.colour for status in Status})
"""Fixed colour per status, the same in every dashboard chart (`model.STATUS_INFO`)."""

Number = int | float
Row = tuple[Any, ...]

_VALUE_FONTSIZE = 8


@dataclass(frozen=True, slots=True)
class Look:
    """How one drawing of a report chart is set: for the page column or for a phone."""

    width: float
    """Figure width in inches (a viewBox unit is a point)."""
    text: float
    """Size of tick labels, the unit and the legend, in points of the figure."""
    value: float
    """Size of the values printed on bars and wedges."""
    fmt: Callable[[float], str]
    """A value as a tick or label shows it (`number_format`)."""
    label_chars: int
    """Longest category label before it is cut with '…'."""

    @property
    def axes_width(self) -> float:
        """A guess at the room left for the plot after the tick labels, in points."""
        return self.width * 72 - (80 if self.width >= fonts.FIGSIZE[0] else 60)


NARROW_WIDTH = 3.5
"""Width in inches of the drawing for narrow screens: at the 328 px a 360 px wide phone
gives a figure, its 9.5 pt labels are drawn about 12 px tall (the page-width drawing's
9 pt would be 6 px)."""


def look(language: str = "zh-CN", narrow: bool = False) -> Look:
    """The look of a report chart in `language`, drawn for the page or for a phone."""
    fmt = number_format(language)
    if narrow:
        return Look(NARROW_WIDTH, 9.5, 9.0, fmt, 10)
    return Look(fonts.FIGSIZE[0], 9.0, _VALUE_FONTSIZE, fmt, 24)


# ---------------------------------------------------------------- the spec


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """One chart, validated: everything `chart_svg` needs and nothing else."""

    type: str
    """Kind of chart, one of `TYPES`: ``bar`` (vertical, grouped), ``barh``
    (horizontal, grouped), ``line``, ``pie`` (one series) or ``stacked``
    (vertical bars, series stacked)."""
    title: str
    """Title for the caller's numbered caption and the SVG ``<title>``; may be empty."""
    caption: str
    """Longer note the caller prints under the chart; may be empty."""
    x: str
    """Name of the data column holding the categories."""
    y: tuple[str, ...]
    """Names of the data columns holding the series, in drawing order."""
    labels: tuple[str, ...]
    """Display name of each series, aligned with `y` (the column name by default)."""
    unit: str
    """Unit of the values, shown on the value axis; may be empty."""
    rows: tuple[Row, ...]
    """The data: one ``(category, value, value, …)`` tuple per row, in file
    order, aligned with ``(x, *y)``; categories are ``str``, values ``int`` or
    ``float`` (finite)."""
    source: str | None
    """Data file as a POSIX path relative to the report root (symlinks
    resolved; track it to redraw when the data changes), or None for inline data."""
    id: str = ""
    """The author's id (``fig-…``) that cross-references name the figure by, or ''."""

    @property
    def categories(self) -> list[str]:
        return [row[0] for row in self.rows]

    def series(self, index: int) -> list[Number]:
        """Values of the series ``y[index]``, one per row."""
        return [row[1 + index] for row in self.rows]


class ChartError(Exception):
    """A chart block the user must fix.

    `line` is 1-based inside the block's YAML body (line 1 is the line after
    the opening fence), or None when the problem is the block as a whole.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


# ---------------------------------------------------------------- parsing


def parse_chart(text: str, root: pathlib.Path, limits: DataLimits = DataLimits()) -> ChartSpec:
    """Read and validate the YAML body of a ```chart block.

    ``data`` is a path relative to `root` (``.csv`` with a header row, or
    ``.yaml``/``.yml`` holding a list of row mappings) or an inline list of
    row mappings.  Raises `ChartError` for anything a user must fix.
    """
    doc = _load_yaml(text)
    lines = _Lines(text)
    _check_keys(doc, lines)
    kind = _chart_type(doc, lines)
    x = _column_name(doc, "x", lines)
    y = _series_names(doc, lines)
    labels = _series_labels(doc, y, lines)
    records, columns, source = _load_data(doc, root, lines, limits)
    _check_columns(x, y, columns, lines)
    rows = tuple(_row(record, x, y) for record in records)
    if kind == "pie":
        _check_pie(y, rows, lines)
    return ChartSpec(
        type=kind,
        title=_text(doc, "title", lines),
        caption=_text(doc, "caption", lines),
        x=x,
        y=y,
        labels=labels,
        unit=_text(doc, "unit", lines),
        rows=rows,
        source=source,
        id=_figure_id(doc, lines),
    )


def _figure_id(doc: dict, lines: _Lines) -> str:
    value = doc.get("id")
    if value is None:
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"fig-(?!\d+$)[\w-]+", value):
        raise ChartError(f"'id' must be fig- and a name, e.g. fig-audience; got {value!r}", lines.key("id"))
    return value


def _load_yaml(text: str) -> dict:
    try:
        doc = yamlio.load(text)  # the project's strict loader: no aliases, duplicates or odd tags
    except yamlio.YamlProblem as problem:
        raise ChartError(f"chart block: {problem.message}", problem.line) from None
    if not isinstance(doc, dict):
        raise ChartError("chart block must be a YAML mapping of keys (" + ", ".join(KEYS) + ")", 1)
    return doc


class _Lines:
    """Where keys and list items sit in the block, for error lines.

    Built from YAML's node tree because `yaml.safe_load` forgets positions.
    """

    def __init__(self, text: str):
        self._keys: dict[str, int] = {}
        self._items: dict[str, list[int]] = {}
        try:
            node = yaml.compose(text, Loader=yamlio.COMPOSER)
        except (yaml.YAMLError, RecursionError):
            return
        if not isinstance(node, yaml.MappingNode):
            return
        for key_node, value_node in node.value:
            key = str(key_node.value)
            self._keys.setdefault(key, key_node.start_mark.line + 1)
            if isinstance(value_node, yaml.SequenceNode):
                self._items[key] = [item.start_mark.line + 1 for item in value_node.value]

    def key(self, name: str) -> int | None:
        return self._keys.get(name)

    def item(self, name: str, index: int) -> int | None:
        items = self._items.get(name, [])
        return items[index] if index < len(items) else self.key(name)


def _check_keys(doc: dict, lines: _Lines) -> None:
    for key in doc:
        if str(key) not in KEYS:
            allowed = ", ".join(KEYS)
            raise ChartError(f"unknown key '{key}' in chart block (allowed: {allowed})", lines.key(str(key)))


def _chart_type(doc: dict, lines: _Lines) -> str:
    allowed = ", ".join(TYPES)
    if "type" not in doc:
        raise ChartError(f"chart block needs 'type' (one of: {allowed})")
    kind = doc["type"]
    if kind not in TYPES:
        raise ChartError(f"unknown chart type '{kind}' (allowed: {allowed})", lines.key("type"))
    return kind


def _column_name(doc: dict, key: str, lines: _Lines) -> str:
    if key not in doc:
        raise ChartError(f"chart block needs '{key}' (the category column)")
    value = doc[key]
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ChartError(f"'{key}' must be a column name", lines.key(key))
    return str(value)


def _series_names(doc: dict, lines: _Lines) -> tuple[str, ...]:
    if "y" not in doc:
        raise ChartError("chart block needs 'y' (a value column, or a list of them)")
    value = doc["y"]
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(n, (str, int)) and not isinstance(n, bool) for n in names):
        raise ChartError("'y' must be a column name or a list of column names", lines.key("y"))
    return tuple(str(n) for n in names)


def _series_labels(doc: dict, y: tuple[str, ...], lines: _Lines) -> tuple[str, ...]:
    given = doc.get("labels") or {}
    if not isinstance(given, dict):
        raise ChartError("'labels' must map value columns to display names", lines.key("labels"))
    given = {str(k): v for k, v in given.items()}
    for column, label in given.items():
        if column not in y:
            raise ChartError(
                f"'labels' names column '{column}', which is not in 'y' (y: {', '.join(y)})", lines.key("labels")
            )
        if not isinstance(label, (str, int, float)) or isinstance(label, bool):
            raise ChartError(f"label of '{column}' must be text", lines.key("labels"))
    return tuple(str(given.get(column, column)) for column in y)


def _text(doc: dict, key: str, lines: _Lines) -> str:
    value = doc.get(key)
    if value is None:
        return ""
    if isinstance(value, (dict, list)) or isinstance(value, bool):
        raise ChartError(f"'{key}' must be text", lines.key(key))
    return str(value).strip()


# A record is one row of raw data, with where it came from for messages.
@dataclass(frozen=True, slots=True)
class _Record:
    values: Mapping[str, Any]
    """Column name → raw value (str from CSV, any YAML scalar otherwise)."""
    where: str
    """The row for a message: ``row 3`` or ``data/x.csv:4``."""
    line: int | None
    """Line inside the chart block to report errors at."""


def _load_data(
    doc: dict, root: pathlib.Path, lines: _Lines, limits: DataLimits
) -> tuple[list[_Record], list[str], str | None]:
    """The data rows, the available column names, and the source path."""
    if "data" not in doc:
        raise ChartError("chart block needs 'data' (a .csv/.yaml file path or a list of rows)")
    data = doc["data"]
    line = lines.key("data")
    if isinstance(data, str):
        path, source = _data_path(data, root, line)
        _check_data_size(path, data, line, limits)
        records, columns = _read_data_file(path, data, line)
    elif isinstance(data, list):
        source = None
        records, columns = _inline_records(data, lines)
    else:
        raise ChartError("'data' must be a file path or a list of rows", line)
    if not records:
        raise ChartError("chart data has no rows", line)
    if len(records) > limits.rows:
        raise ChartError(
            f"chart data has {len(records):,} rows, over the limit of {limits.rows:,} "
            "(limits.max_chart_rows in report.yaml)",
            line,
        )
    return records, columns, source


def _check_data_size(path: pathlib.Path, name: str, line: int | None, limits: DataLimits) -> None:
    """Refuse a data file over the limit before reading it: a million rows would take minutes and gigabytes."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ChartError(f"data file '{name}' cannot be read: {error.strerror}", line) from None
    if size > limits.bytes:
        raise ChartError(
            f"data file '{name}' is {size:,} bytes, over the limit of {limits.bytes:,} "
            "(limits.max_chart_data in report.yaml)",
            line,
        )


def _data_path(name: str, root: pathlib.Path, line: int | None) -> tuple[pathlib.Path, str]:
    """Resolve a data path, refusing anything outside `root` (``..``, symlinks, absolute)."""
    try:
        real_root = root.resolve()
        path = (real_root / name.strip()).resolve()
    except (OSError, ValueError, RuntimeError) as error:
        raise ChartError(f"data path '{name}' cannot be used: {error}", line) from None
    if not path.is_relative_to(real_root):
        raise ChartError(f"data file '{name}' is outside the report folder; keep chart data inside it", line)
    if path.suffix.lower() not in DATA_SUFFIXES:
        raise ChartError(f"data file '{name}' has an unsupported type (allowed: {', '.join(DATA_SUFFIXES)})", line)
    if not path.is_file():
        raise ChartError(f"data file '{name}' not found", line)
    if confine.inside(real_root, path) is None:
        raise ChartError(f"data file '{name}' cannot be read: {confine.why_not(real_root, path)}", line)
    return path, path.relative_to(real_root).as_posix()


def _read_data_file(path: pathlib.Path, name: str, line: int | None) -> tuple[list[_Record], list[str]]:
    try:
        # utf-8-sig: spreadsheet programs start exported CSV with a BOM.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ChartError(f"data file '{name}' is not UTF-8 text", line) from None
    except OSError as error:
        raise ChartError(f"data file '{name}' cannot be read: {error.strerror}", line) from None
    if path.suffix.lower() == ".csv":
        return _csv_records(text, name, line)
    return _yaml_file_records(text, name, line)


def _csv_records(text: str, name: str, line: int | None) -> tuple[list[_Record], list[str]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        if header is None:
            return [], []
        columns = [cell.strip() for cell in header]
        records = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, often at the end of exported files
            where = f"{name}:{reader.line_num}"
            if len(cells) != len(columns):
                raise ChartError(f"{where}: row has {len(cells)} cells, the header has {len(columns)}", line)
            records.append(_Record(dict(zip(columns, cells)), where, line))
    except csv.Error as error:
        raise ChartError(f"{name}:{reader.line_num}: not valid CSV: {error}", line) from None
    return records, columns


def _yaml_file_records(text: str, name: str, line: int | None) -> tuple[list[_Record], list[str]]:
    try:
        rows = yamlio.load(text)
    except yamlio.YamlProblem as problem:
        place = f"{name}:{problem.line}" if problem.line else name
        raise ChartError(f"{place}: {problem.message}", line) from None
    if rows is None:
        return [], []
    if not isinstance(rows, list):
        raise ChartError(f"data file '{name}' must hold a list of rows (mappings of column to value)", line)
    return _records(rows, lambda i: (f"{name} row {i + 1}", line))


def _inline_records(rows: list, lines: _Lines) -> tuple[list[_Record], list[str]]:
    return _records(rows, lambda i: (f"data row {i + 1}", lines.item("data", i)))


def _records(rows: list, place: Callable[[int], tuple[str, int | None]]) -> tuple[list[_Record], list[str]]:
    records, columns = [], {}
    for index, row in enumerate(rows):
        where, line = place(index)
        if not isinstance(row, dict):
            raise ChartError(f"{where} must be a mapping of column to value, e.g. {{年份: 2024, 收入: 12}}", line)
        values = {str(k): v for k, v in row.items()}
        columns.update(dict.fromkeys(values))
        records.append(_Record(values, where, line))
    return records, list(columns)


def _check_columns(x: str, y: tuple[str, ...], columns: list[str], lines: _Lines) -> None:
    for key, column in [("x", x), *(("y", name) for name in y)]:
        if column not in columns:
            available = ", ".join(columns)
            raise ChartError(f"column '{column}' not found in the data (available: {available})", lines.key(key))


def _row(record: _Record, x: str, y: tuple[str, ...]) -> Row:
    return (_category(record, x), *(_value(record, column) for column in y))


def _category(record: _Record, column: str) -> str:
    value = record.values.get(column)
    text = "" if value is None else str(value).strip()
    if not text:
        raise ChartError(f"{record.where}: category column '{column}' is empty", record.line)
    return text


def _value(record: _Record, column: str) -> Number:
    if column not in record.values:
        raise ChartError(f"{record.where}: no value for column '{column}'", record.line)
    raw = record.values[column]
    number = _number(raw)
    if number is None:
        shown = "an empty cell" if raw is None or str(raw).strip() == "" else repr(raw)
        raise ChartError(f"{record.where}: column '{column}' must hold numbers, found {shown}", record.line)
    if abs(number) > LARGEST:
        raise ChartError(
            f"{record.where}: column '{column}' holds {_shown(raw)}, too large to draw "
            f"(at most ±{LARGEST:,}); give the data in a larger unit",
            record.line,
        )
    return number


def _shown(raw: Any) -> str:
    text = str(raw).strip()
    return text if len(text) <= 40 else text[:20] + "…" + text[-8:]


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def _number(value: Any) -> Number | None:
    """`value` as an int or finite float, or None when it is not a number.

    Strings are parsed too (CSV cells are strings), and "1,234" is read as
    1234 because spreadsheets export thousands separators.
    """
    if isinstance(value, bool):
        return None  # YAML reads yes/no/true as booleans; never a quantity
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _check_pie(y: tuple[str, ...], rows: tuple[Row, ...], lines: _Lines) -> None:
    if len(y) != 1:
        raise ChartError(f"a pie chart shows one value column; 'y' names {len(y)}", lines.key("y"))
    values = [row[1] for row in rows]
    if any(v < 0 for v in values):
        raise ChartError(f"a pie chart needs values of 0 or more; column '{y[0]}' has a negative one", lines.key("y"))
    if sum(values) <= 0:
        raise ChartError(f"a pie chart needs a total above 0; column '{y[0]}' sums to 0", lines.key("y"))


# ---------------------------------------------------------------- report charts


def chart_svg(spec: ChartSpec, language: str = "zh-CN", narrow: bool = False) -> str:
    """Draw `spec` (as `parse_chart` validated it) and return inlineable SVG text.

    `language` sets how values are written (`number_format`), becomes the SVG's
    ``lang`` attribute and is part of the id salt; `narrow` draws the layout for
    phones (`NARROW_WIDTH`, larger type relative to the figure).
    """
    draw = _DRAWERS[spec.type]
    chosen = look(language, narrow)
    sizes = {
        "xtick.labelsize": chosen.text,
        "ytick.labelsize": chosen.text,
        "legend.fontsize": chosen.text,
        "axes.labelsize": chosen.text,
    }
    with _figure(_figure_height(spec, chosen), chosen.width) as fig, _rc(sizes):
        draw(fig, fig.add_subplot(), spec, chosen)
        return _svg(
            fig, title=spec.title or spec.caption or "", key=spec_key(spec, language, narrow), language=language
        )


@contextlib.contextmanager
def _rc(params: dict):
    import matplotlib

    with matplotlib.rc_context(params):
        yield


def _figure_height(spec: ChartSpec, chosen: Look) -> float:
    """Taller than usual only where rows stack vertically: barh bars, a long pie legend;
    the narrow drawing keeps about the page drawing's proportions, a little taller."""
    narrow = chosen.width < fonts.FIGSIZE[0]
    if spec.type == "barh":
        return _row_height(len(spec.rows) * len(spec.y)) * (1.15 if narrow else 1)
    if spec.type == "pie":
        if narrow:  # legend below the pie, two columns
            return 2.6 + 0.2 * math.ceil(len(spec.rows) / 2)
        legend_rows = math.ceil(len(spec.rows) / _pie_legend_columns(len(spec.rows)))
        return max(fonts.FIGSIZE[1], 0.19 * legend_rows + 0.8)
    return 3.2 if narrow else fonts.FIGSIZE[1]


def _pie_legend_columns(slices: int) -> int:
    return 1 if slices <= 12 else 2


def _draw_bar(fig, ax, spec: ChartSpec, chosen: Look) -> None:
    n = len(spec.y)
    width = 0.8 / n
    positions = range(len(spec.rows))
    containers = []
    for i, label in enumerate(spec.labels):
        offsets = [p - 0.4 + width * (i + 0.5) for p in positions]
        containers.append(ax.bar(offsets, spec.series(i), width * 0.9, label=label))
    _category_axis(ax, "x", spec.categories, chosen)
    _value_axis(ax, "y", spec.unit, chosen=chosen)
    if _fits_across(spec, chosen.axes_width / len(spec.rows) * 0.8 / n, chosen):
        for i, container in enumerate(containers):
            _label_bars(ax, container, spec.series(i), chosen)
    _legend(fig, spec.labels)


def _draw_barh(fig, ax, spec: ChartSpec, chosen: Look) -> None:
    n = len(spec.y)
    height = 0.8 / n
    positions = range(len(spec.rows))
    for i, label in enumerate(spec.labels):
        offsets = [p - 0.4 + height * (i + 0.5) for p in positions]
        container = ax.barh(offsets, spec.series(i), height * 0.9, label=label)
        _label_bars(ax, container, spec.series(i), chosen)  # the figure grows with the rows, so labels fit
    _category_axis(ax, "y", spec.categories, chosen)
    _value_axis(ax, "x", spec.unit, chosen=chosen)
    _legend(fig, spec.labels)


def _draw_line(fig, ax, spec: ChartSpec, chosen: Look) -> None:
    positions = list(range(len(spec.rows)))
    marker = "o" if len(positions) <= 30 else None
    for i, label in enumerate(spec.labels):
        ax.plot(positions, spec.series(i), marker=marker, label=label)
    _category_axis(ax, "x", spec.categories, chosen)
    ax.set_xlim(-0.3, len(positions) - 0.7)
    _value_axis(ax, "y", spec.unit, chosen=chosen)
    _legend(fig, spec.labels)


def _draw_stacked(fig, ax, spec: ChartSpec, chosen: Look) -> None:
    positions = range(len(spec.rows))
    bottom = [0] * len(spec.rows)
    container = None
    for i, label in enumerate(spec.labels):
        values = spec.series(i)
        container = ax.bar(positions, values, 0.65, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values)]
    _category_axis(ax, "x", spec.categories, chosen)
    _value_axis(ax, "y", spec.unit, chosen=chosen)
    totals = [chosen.fmt(t) for t in bottom]
    if _texts_fit(totals, chosen.axes_width / len(spec.rows) * 0.9, chosen.value):
        # Totals on top of the last layer; the segments are read against the grid.
        ax.bar_label(container, labels=totals, padding=2, fontsize=chosen.value)
    _legend(fig, spec.labels)


def _draw_pie(fig, ax, spec: ChartSpec, chosen: Look) -> None:
    values = spec.series(0)
    total = sum(values)
    colours = [fonts.PALETTE[i % len(fonts.PALETTE)] for i in range(len(values))]
    wedges, _, percents = ax.pie(
        values,
        colors=colours,
        autopct=lambda p: _percent(p) if p >= 4 else "",  # smaller wedges: the legend carries it
        pctdistance=0.72,
        startangle=90,
        counterclock=False,
        textprops={"fontsize": chosen.value},
    )
    for text, colour in zip(percents, colours):
        text.set_color(_contrasting_text(colour))
    ax.set_aspect("equal")
    legend = [f"{_shorten(c, 14)}  {_percent(100 * v / total)}" for c, v in zip(spec.categories, values)]
    # The figure grows to fit the legend's rows (_figure_height); on a phone it goes below.
    if chosen.width < fonts.FIGSIZE[0]:
        fig.legend(wedges, legend, loc="outside lower center", ncols=2)
    else:
        fig.legend(wedges, legend, loc="outside right center", ncols=_pie_legend_columns(len(legend)))


_DRAWERS = MappingProxyType(
    {"bar": _draw_bar, "barh": _draw_barh, "line": _draw_line, "pie": _draw_pie, "stacked": _draw_stacked}
)


# ---------------------------------------------------------------- dashboard charts


def status_counts_svg(counts: dict[str, int]) -> str:
    """One bar per status (editing, reviewing, done, unmarked, then any other)."""
    statuses = _statuses([counts])
    values = [counts.get(s, 0) for s in statuses]
    with _figure(3.0) as fig:
        ax = fig.add_subplot()
        bars = ax.bar(range(len(statuses)), values, 0.6, color=[_status_colour(s) for s in statuses])
        _category_axis(ax, "x", [_status_label(s, "\n") for s in statuses])
        _value_axis(ax, "y", "单元数", integer=True)
        _label_bars(ax, bars, values)
        return _svg(fig, title="各状态单元数 Units by status", key=data_key("status_counts", counts))


def owners_svg(per_owner: dict[str, dict[str, int]]) -> str:
    """Horizontal bars per owner (in the given order), stacked by status."""
    if not per_owner:
        return _empty_svg("暂无负责人数据\nno owners yet", "owners", per_owner)
    owners = list(per_owner)
    statuses = _statuses(per_owner.values())
    with _figure(_row_height(len(owners))) as fig:
        ax = fig.add_subplot()
        left = [0] * len(owners)
        container = None
        for status in statuses:
            values = [per_owner[o].get(status, 0) for o in owners]
            container = ax.barh(
                range(len(owners)),
                values,
                0.65,
                left=left,
                color=_status_colour(status),
                label=_status_label(status, " "),
            )
            left = [a + b for a, b in zip(left, values)]
        ax.bar_label(container, labels=[_fmt(t) for t in left], padding=3, fontsize=_VALUE_FONTSIZE)
        _category_axis(ax, "y", owners)
        _value_axis(ax, "x", "单元数 units", integer=True)
        _legend(fig, statuses)
        return _svg(fig, title="各负责人进度 Progress by owner", key=data_key("owners", per_owner))


def words_svg(per_section: list[tuple[str, int]]) -> str:
    """Words per section, one horizontal bar each, top to bottom in manifest order."""
    if not per_section:
        return _empty_svg("暂无章节\nno sections yet", "words", per_section)
    names = [name for name, _ in per_section]
    values = [count for _, count in per_section]
    with _figure(_row_height(len(names))) as fig:
        ax = fig.add_subplot()
        bars = ax.barh(range(len(names)), values, 0.65, color=fonts.PALETTE[0])
        _label_bars(ax, bars, values)
        _category_axis(ax, "y", names)
        _value_axis(ax, "x", "字数 words", integer=True)
        return _svg(fig, title="各章节字数 Words per section", key=data_key("words", per_section))


def burnup_svg(points: list[tuple[str, dict[str, int]]]) -> str:
    """Units per status over time, stacked with done at the bottom.

    `points` are ``(ISO date or datetime, counts)``, e.g. one per commit; they
    may repeat a date and need not be sorted.  No points gives a "no history
    yet" figure; one date gives a single stacked bar.
    """
    if not points:
        return _empty_svg("暂无历史记录\nno history yet", "burnup", points)
    dated = sorted(((_commit_time(when), counts) for when, counts in points), key=lambda p: p[0])
    statuses = _burnup_order(_statuses([counts for _, counts in dated]))
    with _figure() as fig:
        ax = fig.add_subplot()
        if len({when for when, _ in dated}) == 1:
            _burnup_single(ax, dated[-1], statuses)
        else:
            _burnup_area(ax, dated, statuses)
        _value_axis(ax, "y", "单元数 units", integer=True)
        _legend(fig, statuses)
        return _svg(fig, title="进度变化 Progress over time", key=data_key("burnup", points))


def _commit_time(when: str):
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(when)
    except (TypeError, ValueError):
        raise ValueError(f"burn-up point has a date that is not ISO 8601: {when!r}") from None
    # Keep the committer's wall-clock time: converting to UTC would move an
    # early-morning commit in UTC+8 to the day before.
    return moment.replace(tzinfo=None)


def _burnup_order(statuses: list[str]) -> list[str]:
    """Done at the bottom of the stack: the band that grows is the one read first."""
    known = [s for s in ("done", "reviewing", "editing", "unmarked") if s in statuses]
    return known + [s for s in statuses if s not in known]


def _burnup_area(ax, dated: list, statuses: list[str]) -> None:
    import matplotlib.dates as mdates

    times = [when for when, _ in dated]
    layers = [[counts.get(s, 0) for _, counts in dated] for s in statuses]
    ax.stackplot(
        times,
        layers,
        colors=[_status_colour(s) for s in statuses],
        labels=[_status_label(s, " ") for s in statuses],
        alpha=0.9,
    )
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    # Numeric formats only: month names would follow the process locale.
    ax.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(
            locator,
            formats=["%Y", "%Y-%m", "%m-%d", "%H:%M", "%H:%M", "%S"],
            zero_formats=["", "%Y-%m", "%m-%d", "%m-%d %H:%M", "%H:%M", "%H:%M"],
            offset_formats=["", "", "%Y", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"],
        )
    )
    ax.set_xlim(times[0], times[-1])
    ax.xaxis.grid(False)


def _burnup_single(ax, point: tuple, statuses: list[str]) -> None:
    when, counts = point
    bottom = 0
    for status in statuses:
        value = counts.get(status, 0)
        ax.bar([0], [value], 0.5, bottom=bottom, color=_status_colour(status), label=_status_label(status, " "))
        bottom += value
    ax.set_xlim(-1.5, 1.5)
    _category_axis(ax, "x", [when.strftime("%Y-%m-%d")])


def _statuses(count_maps) -> list[str]:
    """All known statuses in dashboard order (so colours and legends never
    shift between builds), then any other status seen, in order seen."""
    seen: dict[str, None] = {}
    for counts in count_maps:
        seen.update(dict.fromkeys(counts))
    return list(STATUS_ORDER) + [s for s in seen if s not in STATUS_ORDER]


def _status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, STATUS_COLOURS["unmarked"])


def _status_label(status: str, separator: str) -> str:
    """The Chinese name of a known status with its English key beside it."""
    known = status in STATUS_COLOURS
    return f"{Status(status).label_zh}{separator}{status}" if known else status


def _empty_svg(message: str, kind: str, data: object) -> str:
    with _figure(1.6) as fig:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, alpha=0.7, transform=ax.transAxes)
        return _svg(fig, title=message.replace("\n", " / "), key=data_key(kind, data))


# ---------------------------------------------------------------- axes and labels


def _category_axis(ax, axis: str, labels: list[str], chosen: Look | None = None) -> None:
    """Category ticks without tick marks; rotated or thinned when crowded."""
    chosen = chosen or look()
    positions = list(range(len(labels)))
    shown = [_shorten(label, chosen.label_chars) for label in labels]
    if axis == "y":
        ax.set_yticks(positions, shown)
        ax.invert_yaxis()  # first row on top, as in the source table
        ax.tick_params(axis="y", length=0)
        ax.yaxis.grid(False)
        return
    ax.tick_params(axis="x", length=0)
    ax.xaxis.grid(False)
    step = max(1, math.ceil(len(labels) / (24 if chosen.width >= fonts.FIGSIZE[0] else 12)))  # not too many
    ax.set_xticks(positions[::step], shown[::step])
    slot = chosen.axes_width / len(labels) * step
    if max(_text_width_pt(s, chosen.text) for s in shown) > slot * 0.95:
        for text in ax.get_xticklabels():
            text.set_rotation(35)
            text.set_horizontalalignment("right")
            text.set_rotation_mode("anchor")


def _value_axis(ax, axis: str, unit: str, integer: bool = False, chosen: Look | None = None) -> None:
    """Value ticks written for the report's language; the unit at the axis end, written
    horizontally; an axis of values that are never negative starts at zero."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    chosen = chosen or look()
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda value, _pos: chosen.fmt(value)))
    # Fewer steps across: "10,500 12,000 13,500" would crowd a 16 cm column.
    target.set_major_locator(
        MaxNLocator(nbins=6 if axis == "x" or chosen.width < fonts.FIGSIZE[0] else "auto", integer=integer)
    )
    if axis == "y":
        ax.margins(y=0.12)  # headroom for the value labels above bars
        if ax.dataLim.y0 >= 0:
            ax.set_ylim(bottom=0)  # the margin would otherwise take a count below zero
        if unit:
            # Horizontal above the axis: rotated 90°, Chinese reads sideways.
            ax.text(0, 1.03, unit, transform=ax.transAxes, ha="right", va="bottom", fontsize=chosen.text)
    else:
        ax.margins(x=0.12)
        if ax.dataLim.x0 >= 0:
            ax.set_xlim(left=0)
        if unit:
            ax.set_xlabel(unit, loc="right")


def _label_bars(ax, container, values: list[Number], chosen: Look | None = None) -> None:
    chosen = chosen or look()
    ax.bar_label(container, labels=[chosen.fmt(v) for v in values], padding=2, fontsize=chosen.value)


def _fits_across(spec: ChartSpec, slot_pt: float, chosen: Look) -> bool:
    texts = [chosen.fmt(v) for i in range(len(spec.y)) for v in spec.series(i)]
    return _texts_fit(texts, slot_pt, chosen.value)


def _texts_fit(texts: list[str], slot_pt: float, size: float = _VALUE_FONTSIZE) -> bool:
    return max(_text_width_pt(t, size) for t in texts) <= slot_pt * 1.1


def _legend(fig, labels) -> None:
    """A legend above the plot, only when there is more than one series."""
    if len(labels) > 1:
        fig.legend(loc="outside upper center", ncols=min(len(labels), 4), handlelength=1.2)


def _row_height(rows: int) -> float:
    """Figure height for horizontal bars: grows with the rows so labels never collide."""
    return min(max(0.3 * rows + 1.0, 2.2), 16.0)


def _text_width_pt(text: str, size: float) -> float:
    """Rough width of one line of text: CJK glyphs are 1 em, others about 0.6 em."""
    widest = max(text.split("\n"), key=len) if text else ""
    ems = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in widest)
    return ems * size


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _fmt(value: float) -> str:
    """A value for a label or tick: thousands separators, no trailing zeros."""
    if float(value).is_integer():
        return f"{int(value):,}"
    digits = 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def number_format(language: str) -> Callable[[float], str]:
    """How values are written in a report in `language`: a Chinese reader counts in
    万 and 亿 (90,000 → "9 万", 120,000,000 → "1.2 亿"); others read thousands separators."""
    return _fmt_zh if language.lower().startswith("zh") else _fmt


def _fmt_zh(value: float) -> str:
    for scale, word in ((1e8, "亿"), (1e4, "万")):
        if abs(value) >= scale:
            scaled = value / scale
            digits = 1 if abs(scaled) >= 100 else 2
            return f"{scaled:,.{digits}f}".rstrip("0").rstrip(".") + f" {word}"
    return _fmt(value)


def _percent(p: float) -> str:
    return f"{p:.1f}%" if p < 10 else f"{p:.0f}%"


def _contrasting_text(colour: str) -> str:
    """Dark or white text, whichever reads better on the `colour` wedge."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#1a1a1a" if luminance > 0.45 else "#ffffff"


# ---------------------------------------------------------------- SVG output


@contextlib.contextmanager
def _figure(height: float = fonts.FIGSIZE[1], width: float = fonts.FIGSIZE[0]) -> Iterator[Any]:
    """A house-style figure, cleared on exit.

    A bare `Figure` (not pyplot) is never registered in pyplot's global list,
    so drawing hundreds of charts cannot accumulate open figures.
    """
    fonts.configure_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    try:
        with warnings.catch_warnings():
            # Text stays text in the SVG, so the page renderer's own font
            # fallback draws a glyph the CJK face lacks (emoji, say); the PDF
            # stage reports glyphs that are missing for real.
            warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
            yield fig
    finally:
        fig.clear()


def _svg(fig, title: str, key: bytes, language: str = "zh-CN") -> str:
    import matplotlib

    buffer = io.StringIO()
    # Ids are hashes of salt + content: a salt from the chart's key makes them
    # stable across runs yet different between charts inlined in one page.
    salt = hashlib.sha256(key).hexdigest()[:16]
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _inlineable(buffer.getvalue(), title, language)


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_STYLE = re.compile(r"\s*<style\b[^>]*>.*?</style>", re.S)
_EMPTY_DEFS = re.compile(r"\s*<defs>\s*</defs>")
_ROOT = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="([^"]*)"')
_ID = re.compile(r' id="([^"]*)"')
_REFERENCE = re.compile(r'(?:url\(#|href="#)([^)"]+)')
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _inlineable(svg: str, title: str, language: str) -> str:
    """matplotlib's SVG made fit to paste into an HTML page."""
    svg = _PROLOG.sub("", svg, count=1)
    svg = _METADATA.sub("", svg, count=1)
    # matplotlib's <style> holds "*{…}", which inside HTML would apply to the
    # whole page; its two properties move to the root as inherited attributes.
    svg = _STYLE.sub("", svg)
    svg = _EMPTY_DEFS.sub("", svg)
    viewbox = _VIEWBOX.search(svg).group(1)
    title_element = f"\n <title>{html.escape(title)}</title>" if title else ""
    root = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'class="chart" viewBox="{viewbox}" width="100%" role="img" lang="{html.escape(language)}" '
        f'stroke-linejoin="round" stroke-linecap="butt">{title_element}'
    )
    svg = _ROOT.sub(lambda _m: root, svg, count=1)
    referenced = set(_REFERENCE.findall(svg))
    # Unreferenced ids (figure_1, patch_3…) would repeat in every chart on a page.
    svg = _ID.sub(lambda m: m.group(0) if m.group(1) in referenced else "", svg)
    svg = _NOT_XML.sub("", svg)  # a stray control character in a label would make the page unparsable
    return svg.replace(fonts.INK, "currentColor").strip() + "\n"


# ---------------------------------------------------------------- cache


def spec_key(spec: ChartSpec, language: str = "zh-CN", narrow: bool = False) -> bytes:
    """Stable cache key of a report chart: spec, data rows, drawing, style and matplotlib versions."""
    return _key({"chart": dataclasses.asdict(spec), "language": language, "narrow": narrow})


def data_key(kind: str, data: object) -> bytes:
    """Stable cache key of a dashboard chart: its kind (e.g. ``"burnup"``) and JSON-able data."""
    return _key({"kind": kind, "data": _in_order(data)})


def _in_order(data: object) -> object:
    """Mappings as lists of pairs: the charts draw owners in the order given,
    so two orders must not share a key (JSON's sort_keys would merge them)."""
    if isinstance(data, Mapping):
        return [[key, _in_order(value)] for key, value in data.items()]
    if isinstance(data, (list, tuple)):
        return [_in_order(item) for item in data]
    return data


def _key(payload: dict) -> bytes:
    payload = {**payload, "style": STYLE_VERSION, "matplotlib": _matplotlib_version()}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@functools.cache  # never invalidated: the installed matplotlib does not change under a running process
def _matplotlib_version() -> str:
    """From package metadata, so computing a key never imports matplotlib."""
    from importlib.metadata import version

    return version("matplotlib")


#: Charts to draw before they are drawn on all cores: below this, forking the
#: workers costs about what it saves (a drawing is ~0.1–0.2 s of matplotlib).
PARALLEL_CHARTS = 4


def draw_all(requests: list[tuple[ChartSpec, str, bool]], cache_dir: pathlib.Path | None) -> dict[bytes, str]:
    """The SVG, by `spec_key`, of each requested (spec, language, narrow) chart that
    ``cache_dir`` does not hold, drawn in worker processes on all cores when there are
    `PARALLEL_CHARTS` or more (a report scaled tenfold has fifty); {} otherwise.

    A chart a worker cannot draw is left out: the caller draws it again itself, and
    reports the problem at the chart's own line."""
    todo: dict[bytes, tuple[ChartSpec, str, bool]] = {}
    for spec, language, narrow in requests:
        key = spec_key(spec, language, narrow)
        if key not in todo and not (cache_dir and (cache_dir / _cache_name(key)).is_file()):
            todo[key] = (spec, language, narrow)
    count = min(workers.cores(), len(todo))
    if len(todo) < PARALLEL_CHARTS or count < 2:
        return {}
    fonts.configure_matplotlib()  # imported once here (~0.7 s), inherited by the forked workers
    with workers.pool(count) as pool:
        drawn = dict(zip(todo, pool.map(_drawn_or_none, todo.values())))
    return {key: svg for key, svg in drawn.items() if svg is not None}


def _drawn_or_none(request: tuple[ChartSpec, str, bool]) -> str | None:
    try:
        return chart_svg(*request)
    except Exception:  # the caller draws it again and reports it where it is
        return None


def _cache_name(key_parts: bytes) -> str:
    return hashlib.sha256(key_parts).hexdigest() + ".svg"


def cached_svg(key_parts: bytes, draw: Callable[[], str], cache_dir: pathlib.Path | None) -> str:
    """The SVG stored under ``cache_dir/<sha256 of key_parts>.svg``, drawn and stored if absent.

    With `cache_dir` None, always draws.  Writes go to a temporary file in the
    same folder and are moved into place, so parallel builds or an interrupted
    one never leave a half-written SVG.
    """
    if cache_dir is None:
        return draw()
    path = cache_dir / _cache_name(key_parts)
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    svg = draw()
    cache_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, svg)
    return svg


def _write_atomically(path: pathlib.Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".svg.tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
