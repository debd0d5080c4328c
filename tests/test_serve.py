"""``reportgen serve``: the preview serves the site, follows saves, shows errors, stays on 127.0.0.1.

Each test starts a preview on a free port against a small source in
tmp_path and talks to it over HTTP as a browser would.  Waiting for a
rebuild is a bounded poll (up to `WAIT` seconds): a check of what happens,
not of how fast.
"""

from __future__ import annotations

import http.client
import io
import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.serve import Preview, Session, allow_self
from tests.conftest import PNG, launch_chromium

WAIT = 10.0
"""Seconds a test waits for a rebuild before it fails."""

PDF_WAIT = 180.0
"""Seconds the first PDF may take: a child process typesets it while the machine may be busy."""

SECTIONS = {
    "a.md": "---\nowner: 张三\n---\n# ✅引言\n\n第一版正文。\n",
    "b.md": "# 👁️财务\n\n## 预算\n\n数字。\n",
}


# --- helpers ----------------------------------------------------------------------------------


def get(url: str, timeout: float = WAIT) -> tuple[int, dict, bytes | str]:
    """Status, headers and body (text, or bytes when it is not text) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
            text = response.headers.get_content_type().startswith(("text/", "application/json"))
            return response.status, dict(response.headers), body.decode("utf-8", "replace") if text else body
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8", "replace")


def wait_for(what: str, check, timeout: float = WAIT):
    """Poll ``check()`` until it returns something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"not within {timeout:.0f} s: {what}")


class EventStream(threading.Thread):
    """Reads ``/__reportgen__/events`` and keeps every ``state`` event's data."""

    def __init__(self, host: str, port: int):
        super().__init__(daemon=True)
        self.connection = http.client.HTTPConnection(host, port, timeout=WAIT * 3)
        self.states: list[dict] = []

    def run(self) -> None:
        self.connection.request("GET", "/__reportgen__/events")
        response = self.connection.getresponse()
        event = None
        try:
            for raw in response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: ") and event == "state":
                    self.states.append(json.loads(line[len("data: ") :]))
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def preview(make_source, tmp_path):
    """A running preview of a two-section source: ``(session, source, base URL)``."""
    source = make_source(SECTIONS)
    lines: list[str] = []
    session = Session(source, tmp_path / "preview", port=0, echo=lines.append)
    session.start()
    session.lines = lines
    yield session, source, session.url
    session.close()


# --- serving -----------------------------------------------------------------------------------


def test_serves_the_html_edition_with_the_reload_script(preview):
    _, _, base = preview
    status, headers, page = get(base + "a.html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "第一版正文。" in page
    assert '<script src="/__reportgen__/reload.js" data-channel="site"' in page
    # The site's own policy already allows scripts and connections from the server itself.
    assert "script-src 'self' 'wasm-unsafe-eval'" in page and "connect-src 'self'" in page
    status, headers, script = get(base + "__reportgen__/reload.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    assert "EventSource" in script
    assert get(base)[0] == 200
    assert "第一版正文。" in get(base + "html/a.html")[2]  # where the dashboard's links point


def test_nothing_outside_the_output_is_served(preview):
    _, _, base = preview
    host, port = base.split("//")[1].rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    for path in ("/../report.yaml", "/%2e%2e/report.yaml", "/../sections/a.md", "/html/../../report.yaml"):
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 404, path
        assert "张三" not in body.decode("utf-8", "replace")
        connection.close()


def test_a_save_rebuilds_the_page_and_tells_open_pages(preview):
    session, source, base = preview
    host, port = session.server.server_address[:2]
    stream = EventStream(host, port)
    stream.start()
    first = wait_for("the event stream sends the current state", lambda: stream.states and stream.states[0])
    (source / "sections" / "a.md").write_text(SECTIONS["a.md"] + "\n保存后新加的一段。\n", encoding="utf-8")
    wait_for("the served page shows the new paragraph", lambda: "保存后新加的一段。" in get(base + "a.html")[2])
    newer = wait_for(
        "an event announces the new build",
        lambda: [s for s in stream.states if s["site"]["version"] != first["site"]["version"]],
    )
    assert newer[-1]["site"]["ok"] and newer[-1]["overlay"] == ""
    stream.close()


def test_a_broken_save_shows_the_errors_and_keeps_the_last_good_page(preview):
    session, source, base = preview
    section = source / "sections" / "a.md"
    section.write_text("---\nstatus: finished\n---\n# 引言\n\n坏掉的版本。\n", encoding="utf-8")
    state = wait_for(
        "the build fails", lambda: (s := json.loads(get(base + "__reportgen__/state")[2])) and not s["site"]["ok"] and s
    )
    assert any(d.startswith("sections/a.md:2: error: unknown status 'finished'") for d in state["site"]["diagnostics"])
    status, _, page = get(base + "a.html")
    assert status == 200
    assert "第一版正文。" in page and "坏掉的版本。" not in page  # the last good page
    overlay = re.search(r'<div id="reportgen-overlay".*?</div></div>', page, re.S)
    assert overlay, "the page carries the error overlay"
    assert "sections/a.md:2:" in overlay.group(0) and "unknown status" in overlay.group(0)
    assert "error:" in overlay.group(0)
    assert any("sections/a.md:2: error: unknown status" in line for line in session.lines)

    section.write_text(SECTIONS["a.md"].replace("第一版正文。", "修好了。"), encoding="utf-8")
    # The new pages are in place a moment before the preview records that the build passed:
    # what counts is that the fixed page comes without the overlay.
    wait_for(
        "the fixed page is served without the overlay",
        lambda: (p := get(base + "a.html")[2]) and "修好了。" in p and "reportgen-overlay" not in p,
    )


def test_a_template_added_while_serving_is_used(preview):
    _, source, base = preview
    (source / "templates").mkdir()
    (source / "templates" / "section.html").write_text(
        '{% extends "base.html" %}{% block main %}<p>自定义模板</p>{{ body | safe }}{% endblock %}', encoding="utf-8"
    )
    wait_for("the page uses the new template", lambda: "自定义模板" in get(base + "a.html")[2])


def test_an_image_saved_into_the_site_root_folder_replaces_its_placeholder(make_source, tmp_path):
    """A VitePress-style site-root image (``/logo.png`` in ``static/``): the folder is watched,
    and the section, unchanged and not parsed again, shows the image once the file is there."""
    source = make_source({"a.md": "# ✅甲\n\n![标志](/logo.png)\n\n第一版正文。\n"})
    (source / "static").mkdir()
    session = Session(source, tmp_path / "preview", port=0, echo=lambda line: None)
    session.start()
    try:
        assert "[图片缺失]" in get(session.url + "a.html")[2]
        (source / "static" / "logo.png").write_bytes(PNG)
        wait_for("the page shows the image", lambda: 'src="files/static/logo.png"' in get(session.url + "a.html")[2])
    finally:
        session.close()


def test_the_pdf_and_the_dashboard_are_served_and_rebuilt_on_request(preview):
    _, source, base = preview
    status, headers, pdf = get(base + "report.pdf", timeout=PDF_WAIT)  # waits for the first PDF build
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert "第一版正文。" in pdf_text(pdf)
    status, _, page = get(base + "dashboard/")
    assert status == 200 and '<script src="/__reportgen__/reload.js" data-channel="print"' in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert re.search(r"script-src [^;]*'sha256-[^;]*'self'", policy), policy
    assert "connect-src 'self'" in policy

    (source / "sections" / "a.md").write_text(SECTIONS["a.md"] + "\n为了新 PDF 加的一句。\n", encoding="utf-8")
    wait_for("the HTML edition has the edit", lambda: "为了新 PDF 加的一句。" in get(base + "a.html")[2])
    status, _, pdf = get(base + "report.pdf?rebuild=1", timeout=PDF_WAIT)
    assert status == 200 and "为了新 PDF 加的一句。" in pdf_text(pdf)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_allow_self_widens_only_what_the_reload_script_needs():
    site = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; object-src 'none'"
    assert allow_self(site) == site
    dashboard = "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-abc'; img-src data:"
    widened = allow_self(dashboard)
    assert "script-src 'sha256-abc' 'self'" in widened
    assert "style-src 'unsafe-inline' 'self'" in widened
    assert "connect-src 'self'" in widened
    assert "default-src 'none'" in widened and "img-src data:" in widened


def test_a_pdf_failure_is_shown_until_the_sources_change_again(tmp_path):
    preview = Preview(tmp_path, tmp_path / "preview")
    preview.update(
        preview.print, ok=False, covers=0, diagnostics=["report.yaml: error: typesetting the PDF failed: ValueError: x"]
    )
    assert "typesetting the PDF failed" in preview.state()["overlay"]
    preview.changes += 1  # a save since: the next PDF build may well succeed
    assert preview.state()["overlay"] == ""


# --- the address ---------------------------------------------------------------------------------


def test_listens_on_127_0_0_1_only(preview):
    session, _, _ = preview
    host, port = session.server.server_address[:2]
    assert host == "127.0.0.1"
    # Every 127.x address reaches this machine; a server bound to all addresses would answer here too.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=WAIT).close()


def test_requests_for_another_host_name_are_refused(preview):
    # A page on another site that points its name at 127.0.0.1 must not read the draft.
    session, _, _ = preview
    host, port = session.server.server_address[:2]
    for name, status in (
        ("evil.example", 403),
        (f"evil.example:{port}", 403),
        (f"localhost:{port}", 200),
        (f"127.0.0.1:{port}", 200),
    ):
        connection = http.client.HTTPConnection(host, port, timeout=WAIT)
        connection.request("GET", "/a.html", headers={"Host": name})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        connection.close()
        assert response.status == status, name
        assert ("第一版正文。" in body) == (status == 200)


def test_a_busy_port_is_a_clear_error(make_source):
    source = make_source(SECTIONS)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", str(source), "--port", str(port)], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.output
    assert "--port" in result.output


def test_serve_without_report_yaml_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["serve", str(tmp_path), "--port", "0"], catch_exceptions=False)
    assert result.exit_code == 1 and "no report.yaml here" in result.output


def test_the_command_serves_and_stops_cleanly_on_ctrl_c(make_source, tmp_path):
    source = make_source(SECTIONS)
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "serve", str(source), "--port", "0", "--out", str(tmp_path / "preview")],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        # As from a terminal: a shell starting the tests in the background ignores SIGINT
        # for them, and an ignored SIGINT would stay ignored in the server.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    seen = []
    try:
        while not any("serving the preview at" in line for line in seen):
            seen.append(lines.get(timeout=60))
        url = re.search(r"http://127\.0\.0\.1:\d+/", seen[-1]).group(0)
        assert "第一版正文。" in get(url + "a.html")[2]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    time.sleep(0.2)
    while not lines.empty():
        seen.append(lines.get())
    output = "".join(seen)
    assert "stopped" in output and "Traceback" not in output


# --- in a browser ---------------------------------------------------------------------------------


def test_an_open_page_reloads_itself_and_shows_errors(preview):
    from playwright.sync_api import sync_playwright

    _, source, base = preview
    section = source / "sections" / "a.md"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        problems = []
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(base + "a.html")
        page.evaluate("() => { window.__reportgenMark = 1; }")  # gone once the page reloads
        section.write_text(SECTIONS["a.md"] + "\n浏览器里看到的新段落。\n", encoding="utf-8")
        page.get_by_text("浏览器里看到的新段落。").wait_for(timeout=WAIT * 1000)
        assert page.evaluate("() => window.__reportgenMark") is None, "the page reloaded itself"

        section.write_text("---\nstatus: finished\n---\n# 引言\n", encoding="utf-8")
        overlay = page.locator("#reportgen-overlay")
        overlay.wait_for(timeout=WAIT * 1000)
        assert "sections/a.md:2:" in overlay.inner_text() and "unknown status" in overlay.inner_text()
        assert page.get_by_text("浏览器里看到的新段落。").count() == 1  # the last good page under it
        overlay.get_by_role("button").click()
        assert overlay.count() == 0
        browser.close()
    assert problems == []


def test_what_only_the_pdf_build_finds_reaches_the_preview_through_its_channel(preview, tmp_path):
    session, source, base = preview
    (tmp_path / "elsewhere.css").write_text("body {}", encoding="utf-8")
    (source / "templates").mkdir(exist_ok=True)
    (source / "templates" / "print.css").symlink_to(tmp_path / "elsewhere.css")  # only the PDF reads it
    get(base + "report.pdf?rebuild=1", timeout=PDF_WAIT)
    state = wait_for(
        "the PDF build's error is shown",
        lambda: (s := session.preview.state()) and s["print"]["diagnostics"] and s,
        timeout=PDF_WAIT,
    )
    assert state["print"]["diagnostics"] == ["templates/print.css: error: not read: it points outside the folder"]
