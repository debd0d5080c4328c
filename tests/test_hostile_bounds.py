"""Bounded work on hostile sizes: what a build does grows with the source, never faster,
and every numeric setting is checked before it can make a build hang.

The size cases compare the work at n and 4n (operations counted, output bytes
measured), so they stay fast and never depend on the machine's speed.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.errors import Diagnostic, Diagnostics
from reportgen.load.reader import load_report


def cli(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def write(source: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return source


MANIFEST = """
    title: 测试报告
    year: 2026
    sections:
      - sections/a.md
    """


# --- diagnostics ----------------------------------------------------------------------------


def comparisons_while_loading(tmp_path: Path, links: int, monkeypatch) -> tuple[int, int]:
    """(diagnostics, comparisons between diagnostics) for a section with ``links`` broken links."""
    body = "# 甲\n\n" + "".join(f"见[第{i}项](missing-{i}.md)。\n\n" for i in range(links))
    source = write(tmp_path / f"n{links}", {"report.yaml": MANIFEST, "sections/a.md": body})
    count = [0]
    real = Diagnostic.__eq__

    def counting(self, other):
        count[0] += 1
        return real(self, other)

    monkeypatch.setattr(Diagnostic, "__eq__", counting)
    diags = Diagnostics()
    load_report(source, diags)
    monkeypatch.setattr(Diagnostic, "__eq__", real)
    return len(diags.items), count[0]


def test_recording_diagnostics_is_linear(tmp_path, monkeypatch):
    """20,000 broken links once took 26 s: each new diagnostic was compared with every one before."""
    small, small_work = comparisons_while_loading(tmp_path, 300, monkeypatch)
    big, big_work = comparisons_while_loading(tmp_path, 1200, monkeypatch)
    assert small >= 300 and big >= 1200
    assert big_work <= 4 * small_work + 50, (small_work, big_work)


def test_a_repeated_diagnostic_is_still_recorded_once():
    diags = Diagnostics()
    for _ in range(3):
        diags.warning("a.md", 3, "same")
    diags.warning("a.md", 4, "same")
    assert [str(d) for d in diags.items] == ["a.md:3: warning: same", "a.md:4: warning: same"]


# --- numbers in report.yaml -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "block, key",
    [
        ("remote:\n  fetch: true\n  budget: .nan\n", "remote.budget"),
        ("remote:\n  fetch: true\n  budget: .inf\n", "remote.budget"),
        ("remote:\n  budget: -3\n", "remote.budget"),
        ("remote:\n  budget: 1e12\n", "remote.budget"),
        ("limits:\n  max_file_size: .nan\n", "limits.max_file_size"),
        ("limits:\n  max_file_size: .inf\n", "limits.max_file_size"),
        ("limits:\n  max_file_size: -1\n", "limits.max_file_size"),
        ("limits:\n  max_file_size: 99999999GB\n", "limits.max_file_size"),
        ("limits:\n  max_chart_rows: .nan\n", "limits.max_chart_rows"),
        ("limits:\n  max_chart_rows: 0\n", "limits.max_chart_rows"),
        ("limits:\n  max_chart_rows: 100000000000000000000000\n", "limits.max_chart_rows"),
        ("limits:\n  max_chart_data: -5KB\n", "limits.max_chart_data"),
        ("limits:\n  max_rows: 10\n", "limits.max_rows"),
        ("year: .inf\n", "year"),
    ],
)
def test_every_number_in_report_yaml_is_checked(tmp_path, block, key):
    """NaN, infinity, negative and huge values are an error at their own line, never a hang or a traceback."""
    text = textwrap.dedent(MANIFEST).lstrip("\n").replace("year: 2026\n", "") + (
        "" if key == "year" else "year: 2026\n"
    )
    text += "# a comment line, so the line number is not the last one\n" + block
    source = write(tmp_path / "src", {"report.yaml": text, "sections/a.md": "# ✅ 甲\n\n正文。\n"})
    lines = text.splitlines()
    leaf = key.split(".")[-1]
    line = next(i for i, l in enumerate(lines, start=1) if l.strip().startswith(f"{leaf}:"))
    for command in ("check", "build"):
        args = [command, source] + (["--out", tmp_path / "out", "--format", "html"] if command == "build" else [])
        code, text_out = cli(*args)
        assert code == 1, text_out
        assert re.search(rf"^report\.yaml:{line}: error: .*{re.escape(key)}", text_out, re.M), text_out
    assert not (tmp_path / "out" / "html").exists()


def test_limits_in_range_are_used(tmp_path):
    text = textwrap.dedent(MANIFEST) + "limits:\n  max_file_size: 20\nremote:\n  budget: 0.5\n"
    source = write(tmp_path / "src", {"report.yaml": text, "sections/a.md": "# ✅ 甲\n\n正文比二十个字节要长得多。\n"})
    code, out = cli("check", source)
    assert code == 1 and "over the limit of 20 (limits.max_file_size" in out


# --- chart data -------------------------------------------------------------------------------------


def chart_source(tmp_path: Path, rows: int, limits: str = "") -> Path:
    csv = "年份,收入\n" + "".join(f"{2000 + i},{i}\n" for i in range(rows))
    section = "# ✅ 甲\n\n正文。\n\n```chart\ntype: line\ndata: assets/big.csv\nx: 年份\ny: 收入\n```\n"
    return write(
        tmp_path / f"src{rows}",
        {"report.yaml": textwrap.dedent(MANIFEST) + limits, "sections/a.md": section, "assets/big.csv": csv},
    )


def test_chart_data_over_the_default_row_limit_is_an_error(tmp_path):
    source = chart_source(tmp_path, 10_001)
    code, out = cli("build", source, "--out", tmp_path / "out", "--format", "html")
    assert code == 1
    assert (
        "sections/a.md:7: error: chart: chart data has 10,001 rows, over the limit of 10,000 "
        "(limits.max_chart_rows in report.yaml)" in out
    )
    assert not (tmp_path / "out" / "html").exists()


def test_chart_data_limits_are_set_in_report_yaml(tmp_path):
    source = chart_source(tmp_path, 50, "limits:\n  max_chart_rows: 20\n")
    code, out = cli("check", source)
    assert code == 1 and "chart data has 50 rows, over the limit of 20" in out
    source = chart_source(tmp_path, 400, "limits:\n  max_chart_data: 1KB\n")
    code, out = cli("check", source)
    assert code == 1
    assert re.search(
        r"sections/a\.md:7: error: chart: data file 'assets/big\.csv' is [\d,]+ bytes, over the "
        r"limit of 1,024 \(limits\.max_chart_data in report\.yaml\)",
        out,
    ), out
    source = chart_source(tmp_path, 30, "limits:\n  max_chart_rows: 30\n")
    code, out = cli("check", source)
    assert code == 0, out


@pytest.mark.parametrize("value", ["99999999999999999999", "-9223372036854775809", "1.0e300", "'12345678901234567890'"])
def test_a_chart_value_too_large_to_draw_is_an_error_at_its_row(tmp_path, value):
    section = (
        f"# ✅ 甲\n\n```chart\ntype: bar\nx: 年\ny: 数\ndata:\n  - {{年: 2024, 数: 1}}\n"
        f"  - {{年: 2025, 数: {value}}}\n```\n"
    )
    source = write(tmp_path / "src", {"report.yaml": MANIFEST, "sections/a.md": section})
    code, out = cli("build", source, "--out", tmp_path / "out", "--format", "html,pdf")
    assert code == 1
    assert re.search(
        r"^sections/a\.md:9: error: chart: data row 2: column '数' holds .*, too large to draw", out, re.M
    ), out


# --- reportgen import ----------------------------------------------------------------------------


def calls_made(work) -> int:
    """Python lines run and functions called (built-in ones too) while ``work()`` runs: the work
    done, whatever the machine's speed.  Lines count each turn of a loop, comprehensions too."""
    import sys

    count = [0]

    def trace(frame, event, arg):
        count[0] += 1
        return trace

    def profile(frame, event, arg):
        if event == "c_call":
            count[0] += 1

    sys.setprofile(profile)
    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    return count[0]


DOCUMENTS = {
    "footnotes": lambda n: (
        "# 报告\n\n" + "".join(f"## 第{i}节\n\n句子{i}[^{i}]。\n\n[^{i}]: 注释{i}\n\n" for i in range(n))
    ),
    "headings": lambda n: (
        "# 报告\n\n## 甲\n\n" + "".join(f"### 第{i}节\n\n正文{i}。\n\n#### 小节\n\n内容。\n\n" for i in range(n))
    ),
}


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_import_is_linear_in_footnotes_and_headings(tmp_path, kind):
    """1,000 footnotes once took 28 s to import: every section searched for every footnote."""
    from reportgen.author.importer import import_files

    work = {}
    for n in (100, 400):
        document = tmp_path / f"{kind}-{n}.md"
        document.write_text(DOCUMENTS[kind](n), encoding="utf-8")
        work[n] = calls_made(lambda: import_files([document], tmp_path / f"out-{n}"))
    assert work[400] <= 4.5 * work[100], work
    if kind == "footnotes":
        section = next((tmp_path / "out-400" / "sections").glob("008-*.md")).read_text(encoding="utf-8")
        assert "句子7[^7]" in section and "[^7]: 注释7" in section and "注释8" not in section


# --- the HTML edition ---------------------------------------------------------------------------------


def html_bytes(tmp_path: Path, sections: int) -> tuple[int, str]:
    """Bytes of every page of a built site of ``sections`` sections, and one section page."""
    from reportgen.build import BuildOptions, build

    source = tmp_path / f"src{sections}"
    names = [f"{i:05d}.md" for i in range(sections)]
    manifest = "title: 报告\nyear: 2026\nsections:\n" + "".join(f"  - sections/{n}\n" for n in names)
    write(
        source,
        {
            "report.yaml": manifest,
            **{f"sections/{n}": f"# ✅ 第{i}节标题\n\n## 背景\n\n正文{i}。\n" for i, n in enumerate(names)},
        },
    )
    out = tmp_path / f"out{sections}"
    result = build(BuildOptions(source=source, out=out, formats=("html",)))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    pages = list((out / "html").glob("*.html"))
    assert len(pages) == sections + 2
    return sum(p.stat().st_size for p in pages), (out / "html" / f"{sections // 2:05d}.html").read_text("utf-8")


def test_the_site_grows_linearly_with_the_number_of_sections(tmp_path, monkeypatch):
    """Every page listed every section in its sidebar: 2,000 sections made 533 MB."""
    from reportgen.render import search

    monkeypatch.setattr(search, "pagefind_binary", lambda: (None, False))  # the index is Pagefind's business
    small, _ = html_bytes(tmp_path, 100)
    big, middle = html_bytes(tmp_path, 400)
    assert big <= 4.4 * small, (small, big)
    # A page still leads to its neighbours and to the full contents.
    assert 'href="00199.html"' in middle and 'href="00201.html"' in middle
    assert "另有 190 节 · 全部目录" in middle and 'href="index.html#rg-toc-title"' in middle


def test_building_the_site_and_dashboard_is_linear_in_the_number_of_sections(tmp_path, monkeypatch):
    """A 10,000-section report must build in minutes: no step may look at every section per section."""
    from reportgen.build import BuildOptions, build
    from reportgen.render import search

    monkeypatch.setattr(search, "pagefind_binary", lambda: (None, False))
    work = {}
    for n in (60, 240):
        source = tmp_path / f"src{n}"
        names = [f"{i:04d}.md" for i in range(n)]
        write(
            source,
            {
                "report.yaml": "title: 报告\nyear: 2026\nsections:\n" + "".join(f"  - sections/{x}\n" for x in names),
                **{
                    f"sections/{x}": f"---\nowner: 人{i % 7}\n---\n# ✅ 第{i}节\n\n## ✍️ 计划\n\n见[下节]({names[(i + 1) % n]})。\n"
                    for i, x in enumerate(names)
                },
            },
        )
        options = BuildOptions(source=source, out=tmp_path / f"out{n}", formats=("html", "dashboard"))
        build(options)  # the first build also draws the charts, which are cached by their data
        result = [None]
        work[n] = calls_made(lambda: result.__setitem__(0, build(options)))
        assert result[0].ok, [str(d) for d in result[0].diagnostics.items]
    assert work[240] <= 4.5 * work[60], work
