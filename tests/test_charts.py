"""Chart blocks and dashboard charts, as a report author and a reader see them."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.pdf import fonts
from reportgen.render import charts
from reportgen.render.charts import ChartError, ChartSpec, parse_chart

PROJECT = pathlib.Path(__file__).resolve().parents[1]

CSV = "学院,2023年,2024年\n文学院,120,150\n理学院,98.5,142\n工学院,210,260\n"


@pytest.fixture
def root(tmp_path: pathlib.Path) -> pathlib.Path:
    """A report root with one CSV and one YAML data file."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "funds.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "data" / "sources.yaml").write_text(
        "- {来源: 国家级项目, 金额: 5200}\n- {来源: 横向合作, 金额: 1800}\n- {来源: 其他, 金额: 150}\n",
        encoding="utf-8",
    )
    return tmp_path


def block(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def error_of(text: str, root: pathlib.Path) -> ChartError:
    with pytest.raises(ChartError) as caught:
        parse_chart(block(text), root)
    return caught.value


# ---------------------------------------------------------------- parsing


def test_csv_block_parses_numbers_and_records_source(root):
    spec = parse_chart(
        block("""
        type: bar
        title: 各学院科研经费
        data: data/funds.csv
        x: 学院
        y: [2023年, 2024年]
        labels: {2024年: 今年}
        unit: 万元
    """),
        root,
    )
    assert spec.rows == (("文学院", 120, 150), ("理学院", 98.5, 142), ("工学院", 210, 260))
    assert type(spec.rows[0][1]) is int and type(spec.rows[1][1]) is float
    assert spec.labels == ("2023年", "今年")
    assert spec.source == "data/funds.csv"
    assert spec.unit == "万元"


def test_inline_rows_and_single_y(root):
    spec = parse_chart(
        block("""
        type: line
        data:
          - {年份: 2022, 人数: "1,200"}
          - {年份: 2023, 人数: 1350}
        x: 年份
        y: 人数
    """),
        root,
    )
    assert spec.rows == (("2022", 1200), ("2023", 1350))
    assert spec.y == ("人数",) and spec.source is None


def test_unknown_type_names_allowed_values_and_line(root):
    error = error_of(
        """
        title: t
        type: donut
        data: data/funds.csv
        x: 学院
        y: 2024年
    """,
        root,
    )
    assert "donut" in error.message
    assert "bar, barh, line, pie, stacked" in error.message
    assert error.line == 2


def test_unknown_key_names_allowed_keys(root):
    error = error_of(
        """
        type: bar
        data: data/funds.csv
        x: 学院
        y: 2024年
        colour: red
    """,
        root,
    )
    assert "colour" in error.message and "caption" in error.message and "unit" in error.message
    assert error.line == 5


@pytest.mark.parametrize("text", ["type: [bar", "- a\n- b\n", "just text"])
def test_not_yaml_mapping_is_an_error(root, text):
    with pytest.raises(ChartError):
        parse_chart(text, root)


def test_missing_data_file(root):
    error = error_of("type: bar\ndata: data/nope.csv\nx: a\ny: b\n", root)
    assert "not found" in error.message and "data/nope.csv" in error.message
    assert error.line == 2


@pytest.mark.parametrize("path", ["../outside.csv", "data/../../outside.csv", "/etc/passwd.csv"])
def test_data_path_outside_root_is_refused(root, path):
    (root.parent / "outside.csv").write_text("a,b\nx,1\n", encoding="utf-8")
    error = error_of(f"type: bar\ndata: {path}\nx: a\ny: b\n", root)
    assert "outside the report folder" in error.message


def test_symlink_escaping_root_is_refused(root, tmp_path_factory):
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.csv"
    secret.write_text("a,b\nx,1\n", encoding="utf-8")
    (root / "data" / "link.csv").symlink_to(secret)
    error = error_of("type: bar\ndata: data/link.csv\nx: a\ny: b\n", root)
    assert "outside the report folder" in error.message


def test_unsupported_extension(root):
    (root / "data" / "table.xlsx").write_bytes(b"PK")
    error = error_of("type: bar\ndata: data/table.xlsx\nx: a\ny: b\n", root)
    assert ".csv" in error.message and ".yaml" in error.message


def test_missing_column_names_available_columns(root):
    error = error_of("type: bar\ndata: data/funds.csv\nx: 学院\ny: [2024年, 2025年]\n", root)
    assert "2025年" in error.message and "学院, 2023年, 2024年" in error.message
    assert error.line == 4


def test_non_numeric_y_names_the_column_and_row(root):
    error = error_of(
        """
        type: bar
        data:
          - {项目: 甲, 金额: 12}
          - {项目: 乙, 金额: 十二}
        x: 项目
        y: 金额
    """,
        root,
    )
    assert "金额" in error.message and "十二" in error.message
    assert error.line == 4  # the offending row, inside the block


def test_non_numeric_csv_cell_names_file_line(root):
    (root / "data" / "bad.csv").write_text("a,b\nx,1\ny,n/a\n", encoding="utf-8")
    error = error_of("type: bar\ndata: data/bad.csv\nx: a\ny: b\n", root)
    assert "column 'b'" in error.message and "data/bad.csv:3" in error.message


def test_empty_data_is_an_error(root):
    (root / "data" / "empty.csv").write_text("a,b\n", encoding="utf-8")
    assert "no rows" in error_of("type: bar\ndata: data/empty.csv\nx: a\ny: b\n", root).message
    assert "no rows" in error_of("type: bar\ndata: []\nx: a\ny: b\n", root).message


def test_pie_takes_one_series(root):
    error = error_of("type: pie\ndata: data/funds.csv\nx: 学院\ny: [2023年, 2024年]\n", root)
    assert "one value column" in error.message


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_spec_or_a_chart_error(text):
    # Never a traceback for the author, whatever they type in the block.
    try:
        parse_chart(text, PROJECT)
    except ChartError:
        pass


# ---------------------------------------------------------------- drawing

SPECS = {
    "bar": "type: bar\ndata: data/funds.csv\nx: 学院\ny: [2023年, 2024年]\nunit: 万元\n",
    "barh": "type: barh\ndata: data/funds.csv\nx: 学院\ny: 2024年\nunit: 万元\n",
    "line": "type: line\ndata: data/funds.csv\nx: 学院\ny: [2023年, 2024年]\n",
    "pie": "type: pie\ndata: data/sources.yaml\nx: 来源\ny: 金额\n",
    "stacked": "type: stacked\ndata: data/funds.csv\nx: 学院\ny: [2023年, 2024年]\nlabels: {2024年: 今年}\n",
}


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_each_type_renders_inlineable_svg_with_labels_in_cjk_font(root, kind):
    spec = parse_chart("title: 图题\n" + SPECS[kind], root)
    svg = charts.chart_svg(spec)
    for category in spec.categories:
        assert f">{category}" in svg
    assert "Noto Sans CJK SC" in svg
    assert svg.startswith("<svg ") and "<?xml" not in svg and "DOCTYPE" not in svg
    assert 'viewBox="' in svg and 'width="100%"' in svg and " height=" not in svg.split(">", 1)[0]
    assert "<title>图题</title>" in svg
    assert svg.count("图题") == 1  # the caller draws the numbered caption, not the figure
    assert "<style" not in svg  # a <style> inside inline SVG would apply to the whole page


def test_legend_only_with_several_series_and_unit_on_axis(root):
    two = charts.chart_svg(parse_chart(SPECS["bar"], root))
    one = charts.chart_svg(parse_chart(SPECS["barh"], root))
    assert ">2023年<" in two and ">2024年<" in two and ">万元<" in two
    assert ">2024年<" not in one and ">万元<" in one
    assert ">150<" in one  # values labelled on bars


def test_pie_shows_percentages(root):
    svg = charts.chart_svg(parse_chart(SPECS["pie"], root))
    assert "73%" in svg and "国家级项目" in svg


def test_svg_is_identical_across_processes(root):
    script = textwrap.dedent("""
        import pathlib, sys
        from reportgen.render import charts
        root = pathlib.Path(sys.argv[1])
        spec = charts.parse_chart(root.joinpath("block.yaml").read_text(encoding="utf-8"), root)
        sys.stdout.buffer.write(charts.chart_svg(spec).encode())
        sys.stdout.buffer.write(charts.burnup_svg([("2024-03-01", {"done": 1}), ("2024-03-05", {"done": 3})]).encode())
    """)
    (root / "block.yaml").write_text(SPECS["stacked"], encoding="utf-8")
    runs = [
        subprocess.Popen([sys.executable, "-c", script, str(root)], cwd=PROJECT, stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert outputs[0] == outputs[1] and b"<svg" in outputs[0]


def test_ids_differ_between_charts_so_they_can_share_a_page(root):
    import re

    one = charts.chart_svg(parse_chart(SPECS["bar"], root))
    two = charts.chart_svg(parse_chart(SPECS["line"], root))
    ids = lambda svg: set(re.findall(r' id="([^"]+)"', svg))  # noqa: E731
    assert ids(one) and ids(two) and not ids(one) & ids(two)


def test_importing_charts_does_not_import_matplotlib():
    code = "import sys, reportgen.render.charts, reportgen.pdf.fonts; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False"


def test_no_figures_left_open(root):
    from matplotlib import _pylab_helpers

    for _ in range(3):
        charts.chart_svg(parse_chart(SPECS["bar"], root))
    assert _pylab_helpers.Gcf.get_num_fig_managers() == 0


# ---------------------------------------------------------------- dashboard


def test_status_counts_labels_and_colours():
    svg = charts.status_counts_svg({"editing": 2, "reviewing": 1, "done": 5})
    for label in ("编辑中", "审核中", "已完成", "未标记", "editing", "unmarked"):
        assert label in svg
    for colour in charts.STATUS_COLOURS.values():
        assert colour.lower() in svg.lower()


def test_owners_and_words():
    owners = charts.owners_svg({"张三": {"done": 3, "editing": 1}, "李四": {"reviewing": 2}})
    assert "张三" in owners and "李四" in owners and "已完成" in owners
    words = charts.words_svg([("前言", 1200), ("第一章 学校概况", 5400)])
    assert "第一章 学校概况" in words and "5,400" in words
    assert words.index("前言") < words.index("第一章")  # manifest order, top to bottom


@pytest.mark.parametrize("count", [0, 1, 2, 12])
def test_burnup_handles_any_number_of_points(count):
    points = [(f"2024-03-{1 + i // 2:02d}T10:00:00+08:00", {"done": i, "editing": 12 - i}) for i in range(count)]
    svg = charts.burnup_svg(points)
    assert svg.startswith("<svg ")
    if count == 0:
        assert "no history yet" in svg
    else:
        assert "已完成" in svg and "2024" in svg


# ---------------------------------------------------------------- cache


def test_cache_returns_stored_svg_without_drawing(tmp_path):
    calls = []

    def draw():
        calls.append(1)
        return "<svg>1</svg>"

    first = charts.cached_svg(b"key", draw, tmp_path / "cache")
    second = charts.cached_svg(b"key", lambda: pytest.fail("drew again"), tmp_path / "cache")
    assert first == second == "<svg>1</svg>" and len(calls) == 1
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".svg"]  # no temp files left
    assert charts.cached_svg(b"key", lambda: "fresh", None) == "fresh"


def test_charts_drawn_on_all_cores_are_those_drawn_one_by_one(root, tmp_path):
    specs = [parse_chart(f"title: 图 {kind}\n" + SPECS[kind], root) for kind in sorted(SPECS)]
    requests = [(spec, "zh-CN", narrow) for spec in specs for narrow in (False, True)]
    assert len(requests) >= charts.PARALLEL_CHARTS
    drawn = charts.draw_all(requests, None)
    assert drawn == {charts.spec_key(*request): charts.chart_svg(*request) for request in requests}
    cache = tmp_path / "charts"
    charts.cached_svg(charts.spec_key(*requests[0]), lambda: drawn[charts.spec_key(*requests[0])], cache)
    assert charts.spec_key(*requests[0]) not in charts.draw_all(requests, cache)  # cached ones are not drawn again


def test_the_public_edition_draws_each_chart_once_for_the_page_and_once_for_phones(make_source, monkeypatch):
    """It keeps no cache (its folder is published whole), so a drawing made for the PDF must
    serve the HTML edition's wide screens too."""
    from reportgen.build import BuildOptions, build

    chart = 'type: bar\ndata: [{年份: "2025", 人数: 10}, {年份: "2026", 人数: 12}]\nx: 年份\ny: 人数\n'
    source = make_source({"a.md": f"# ✅甲\n\n```chart\n{chart}```\n"})
    drawn = []
    real = charts.chart_svg
    monkeypatch.setattr(
        charts,
        "chart_svg",
        lambda spec, language="zh-CN", narrow=False: drawn.append(narrow) or real(spec, language, narrow),
    )
    result = build(BuildOptions(source=source, out=source / "public", formats=("pdf", "html"), edition="public"))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    assert sorted(drawn) == [False, True]


def test_too_few_charts_are_drawn_by_the_caller(root):
    spec = parse_chart(SPECS["bar"], root)
    assert charts.draw_all([(spec, "zh-CN", False)] * (charts.PARALLEL_CHARTS + 1), None) == {}  # one distinct chart


def test_spec_key_follows_data_and_style(root):
    spec = parse_chart(SPECS["bar"], root)
    changed = ChartSpec(**{**{f: getattr(spec, f) for f in spec.__dataclass_fields__}, "rows": spec.rows[:1]})
    assert charts.spec_key(spec) == charts.spec_key(parse_chart(SPECS["bar"], root))
    assert charts.spec_key(spec) != charts.spec_key(changed)
    assert str(charts.STYLE_VERSION).encode() in charts.spec_key(spec)


def test_data_key_follows_order_of_owners():
    one = charts.data_key("owners", {"张三": {"done": 1}, "李四": {"done": 2}})
    two = charts.data_key("owners", {"李四": {"done": 2}, "张三": {"done": 1}})
    assert one != two  # owners are drawn in the order given


# ---------------------------------------------------------------- fonts


def test_css_family_quotes_faces_and_never_names_the_emoji_font():
    assert fonts.css_family(fonts.SANS) == '"Noto Sans CJK SC", "DejaVu Sans", sans-serif'
    assert fonts.css_family(fonts.SERIF).endswith(", serif")
    assert not any("Emoji" in face for face in fonts.SANS + fonts.SERIF)


# ---------------------------------------------------------------- language, zero, phones


def _texts(svg: str) -> list[str]:
    import re

    return re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)


def test_values_are_written_in_wan_and_yi_for_chinese_and_with_separators_for_english():
    zh, en = charts.number_format("zh-CN"), charts.number_format("en")
    assert [zh(v) for v in (90000, 120_000_000, 93500, 1234, 0)] == ["9 万", "1.2 亿", "9.35 万", "1,234", "0"]
    assert [en(v) for v in (90000, 120_000_000, 1234.5)] == ["90,000", "120,000,000", "1,234.5"]


def test_a_chinese_chart_counts_its_axis_in_wan(root):
    spec = parse_chart(
        block("""
        type: bar
        data: [{年: "2025", 人: 40000}, {年: "2026", 人: 90000}]
        x: 年
        y: 人
    """),
        root,
    )
    assert "9 万" in _texts(charts.chart_svg(spec, "zh-CN"))
    assert "90,000" in _texts(charts.chart_svg(spec, "en"))


def _zero_gap(svg: str) -> float:
    """How far the "0" tick sits above the category labels, in figure points."""
    import re

    texts = re.findall(r'<text\b[^>]*\by="([\d.]+)"[^>]*>([^<]*)</text>', svg)
    zero = next(float(y) for y, text in texts if text == "0")
    return max(float(y) for y, text in texts if text.isdigit() and len(text) == 4) - zero


def test_a_count_axis_starts_at_zero_and_never_runs_below_it(root):
    data = """
        data: [{年: "2024", 人: 3}, {年: "2025", 人: 1}, {年: "2026", 人: 40}]
        x: 年
        y: 人
    """
    line, bar = (parse_chart(block(f"type: {kind}\n" + textwrap.dedent(data)), root) for kind in ("line", "bar"))
    for narrow in (False, True):
        # Bars stand on zero; the line's axis must start there too, not a margin below it.
        assert (
            abs(_zero_gap(charts.chart_svg(line, narrow=narrow)) - _zero_gap(charts.chart_svg(bar, narrow=narrow))) < 1
        )
        assert not [t for t in _texts(charts.chart_svg(line, narrow=narrow)) if t.startswith(("-", "−"))]


def test_the_phone_drawing_is_narrower_with_the_same_type_size():
    wide, narrow = charts.look(), charts.look(narrow=True)
    # A viewBox unit is a point of the figure: the narrow drawing is scaled up on a phone.
    assert narrow.width < wide.width and narrow.text >= wide.text and narrow.value >= 9
