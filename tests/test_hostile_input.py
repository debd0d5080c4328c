"""Never a traceback: hostile requests to the preview server, crashes inside it, a source
folder replaced under it, and titles that would write more than one line."""

from __future__ import annotations

import http.client
import shutil
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests import test_serve
from tests.test_serve import SECTIONS, get, wait_for

preview = test_serve.preview  # the preview server fixture, shared with test_serve


def raw_get(session, path: str) -> int:
    host, port = session.server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.mark.parametrize(
    "path, status",
    [
        ("/%00", 400),
        ("/a%00.html", 400),
        ("/" + quote("长" * 100) + ".html", 400),
        ("/" + "a" * 5000, 414),
        ("/" + "a/" * 1500, 414),
        ("/nothing-here.html", 404),
    ],
)
def test_the_preview_answers_every_request_and_logs_no_traceback(preview, capfd, path, status):
    session, _, base = preview
    assert raw_get(session, path) == status
    assert get(base + "a.html")[0] == 200  # still serving
    assert not [line for line in session.lines if "Traceback" in line]
    assert "Traceback" not in capfd.readouterr().err


def test_a_crash_in_the_preview_names_what_crashed_not_report_yaml(preview, monkeypatch):
    session, source, base = preview
    from reportgen.render import site

    def broken(*args, **kwargs):
        raise TypeError("a fault planted by the test")

    monkeypatch.setattr(site, "render_site", broken)
    (source / "sections" / "a.md").write_text(SECTIONS["a.md"] + "\n改了。\n", encoding="utf-8")
    state = wait_for(
        "the failed build is reported",
        lambda: (s := session.preview.state()) and not s["site"]["ok"] and s["site"]["diagnostics"] and s,
    )
    message = state["site"]["diagnostics"][0]
    assert message.startswith("reportgen/build.py:") and "TypeError: a fault planted by the test" in message
    assert "report.yaml" not in message and "fault of reportgen" in message
    assert not [line for line in session.lines if "Traceback" in line]


def test_the_preview_follows_a_source_folder_deleted_and_made_again(preview):
    session, source, base = preview
    kept = {p.relative_to(source): p.read_bytes() for p in source.rglob("*") if p.is_file()}
    shutil.rmtree(source)
    wait_for("the watch sees the folder gone", lambda: not source.exists())
    for rel, data in kept.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_bytes(data)
    (source / "sections" / "a.md").write_text(SECTIONS["a.md"] + "\n重新检出后的一段。\n", encoding="utf-8")
    wait_for(
        "the page shows the re-created source", lambda: "重新检出后的一段。" in get(base + "a.html")[2], timeout=60
    )
    (source / "sections" / "a.md").write_text(SECTIONS["a.md"] + "\n之后再保存的一段。\n", encoding="utf-8")
    wait_for("a later save is seen too", lambda: "之后再保存的一段。" in get(base + "a.html")[2], timeout=60)


@pytest.mark.parametrize(
    "args",
    [
        ["new", "Evil\n---\n# ✅Fake"],
        ["new", "标题\r# ✅假"],
        ["new", "标题\u2028二"],
        ["new", "  "],
        ["new", "好标题", "--owner", "张三\n---"],
    ],
)
def test_new_refuses_titles_and_owners_that_are_not_one_line(make_source, args):
    source = make_source({"a.md": "# ✅ 甲\n"})
    before = {p: p.read_bytes() for p in source.rglob("*") if p.is_file()}
    result = CliRunner().invoke(main, args + ["--source", str(source)], catch_exceptions=False)
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2
    assert "must be one line of text" in result.output or "must not be empty" in result.output
    assert {p: p.read_bytes() for p in source.rglob("*") if p.is_file()} == before


# --- library warnings ----------------------------------------------------------------------------------


def test_an_image_too_large_to_typeset_is_a_diagnostic_not_a_pillow_warning(make_source, tmp_path):
    """Pillow warns of a possible decompression bomb with the path of its own file; the writer
    gets one line about their image instead."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (9500, 9500)).save(buffer, "PNG")  # 90 megapixels, a few kilobytes of file
    source = make_source(
        {"a.md": "# ✅ 甲\n\n![大图](../assets/huge.png)\n"}, extra={"assets/huge.png": buffer.getvalue()}
    )
    result = CliRunner().invoke(
        main, ["build", str(source), "--out", str(tmp_path / "out"), "--format", "html"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert (
        "sections/a.md:3: warning: image file cannot be read (Image size (90250000 pixels) exceeds limit"
        in result.output
    )
    assert "site-packages" not in result.output and "DecompressionBombWarning" not in result.output
    assert not (tmp_path / "out" / "html" / "assets" / "huge.png").exists()


def test_a_library_warning_is_one_line_without_the_librarys_path(make_source, tmp_path, monkeypatch):
    import warnings

    import numpy

    from reportgen import build as pipeline

    real = pipeline.draw_figures

    def noisy(*args, **kwargs):
        numpy.float64(1e308) * numpy.float64(10)  # numpy warns of the overflow, from its own files
        warnings.warn("a note from a library", UserWarning)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "draw_figures", noisy)
    source = make_source({"a.md": "# ✅ 甲\n\n正文。\n"})
    result = CliRunner().invoke(
        main, ["build", str(source), "--out", str(tmp_path / "out"), "--format", "html"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "reportgen: warning: RuntimeWarning: overflow encountered in scalar multiply" in result.output
    assert "reportgen: warning: UserWarning: a note from a library" in result.output
    assert "site-packages" not in result.output and ".py:" not in result.output


def test_deeply_nested_emphasis_is_flattened_with_a_warning_not_a_recursion_error(make_source, tmp_path):
    deep = "".join("*甲 _乙 " for _ in range(1500)) + "心" + "".join(" 丙_ 丁*" for _ in range(1500))
    source = make_source({"a.md": f"# ✅ 甲\n\n{deep}\n"})
    result = CliRunner().invoke(
        main,
        ["build", str(source), "--out", str(tmp_path / "out"), "--format", "html,pdf", "--pdf-engine", "single"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert (
        "sections/a.md:3: warning: emphasis or links nested more than 40 deep; the deeper ones are shown "
        "as plain text" in result.output
    )
    page = (tmp_path / "out" / "html" / "a.html").read_text(encoding="utf-8")
    assert "心" in page and page.count("<em>") == 40
