"""Remote images against a small HTTP server on 127.0.0.1: fetched within the budget, cached, refused when not images."""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.errors import Diagnostics
from reportgen.load import remote
from reportgen.load.reader import load_report
from reportgen.render.body import section_html
from reportgen.render.editions import select
from tests.conftest import PNG

HANG = 30
"""Seconds the never-answering path holds a request (released early when the server stops)."""


class _Server:
    """Routes: path → (status, content type, body); ``/hang.png`` never answers."""

    def __init__(self):
        self.hits: dict[str, int] = {}
        self.release = threading.Event()
        self.routes = {
            "/ok.png": (200, "image/png", PNG),
            "/page.html": (200, "text/html; charset=utf-8", b"<html><script>alert(1)</script></html>"),
            "/lying.png": (200, "image/png", b"<html><script>alert(1)</script></html>"),
            "/drawing.svg": (200, "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
            "/big.png": (200, "image/png", PNG + b"\0" * 200_000),
            "/missing.png": (404, "text/plain", b"not found"),
            "/to-file.png": (302, "file:///etc/passwd", b""),
            "/to-ftp.png": (302, "ftp://127.0.0.1/x.png", b""),
        }
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                route = self.path.split("?", 1)[0]
                if route == "/hang.png":
                    server.release.wait(HANG)
                    return
                status, kind, body = server.routes.get(route, (404, "text/plain", b""))
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", kind)
                else:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    # The server listens on loopback, which reportgen never contacts: this one address is let through.
    strict = remote.refused_address
    monkeypatch.setattr(remote, "refused_address", lambda text: None if text == "127.0.0.1" else strict(text))
    running = _Server()
    yield running
    running.stop()


def source_with(make_source, urls: list[str], fetch: bool = True, budget: float = 2):
    body = "# 甲\n\n正文。\n" + "".join(f"\n![图{i}]({url})\n" for i, url in enumerate(urls))
    return make_source({"a.md": body}, manifest={"remote": {"fetch": fetch, "budget": budget}})


def fetched(source, **options):
    """The report after `fetch_remote`, and the diagnostics `fetch_remote` gave."""
    diags = Diagnostics()
    report = load_report(source, diags)
    assert not diags.errors, [str(d) for d in diags.items]
    diags = Diagnostics()
    report = remote.fetch_remote(report, diags, **options)
    return report, [str(d) for d in diags.items]


def page(report) -> str:
    edition = select(report, "draft", Diagnostics())
    return section_html(report, edition.views[0], "html", "draft", {})


def cached_name(url: str) -> str:
    return f"{hashlib.sha256(url.encode()).hexdigest()}.png"


def test_without_fetch_nothing_is_requested_and_each_image_is_a_warning_at_its_line(make_source, server):
    source = source_with(make_source, [server.url("/ok.png"), "https://example.invalid/x.png"], fetch=False)
    diags = Diagnostics()
    report = load_report(source, diags)
    warned = [str(d) for d in diags.warnings]
    assert [w.split(" (")[0] for w in warned] == [
        f"sections/a.md:5: warning: remote image not fetched: {server.url('/ok.png')}",
        "sections/a.md:7: warning: remote image not fetched: https://example.invalid/x.png",
    ]
    more = Diagnostics()
    remote.fetch_remote(report, more)
    assert more.items == []  # said once, by the reader
    assert server.hits == {}
    html = page(report)
    assert html.count('class="image-placeholder"') == 2 and "<img" not in html


def test_a_fetched_image_is_kept_in_the_source_and_shown(make_source, server):
    url = server.url("/ok.png")
    source = source_with(make_source, [url, url])  # the same image twice is fetched once
    report, messages = fetched(source)
    assert messages == []
    assert server.hits == {"/ok.png": 1}
    cached = source / ".remote-cache" / cached_name(url)
    assert cached.read_bytes() == PNG
    html = page(report)
    assert html.count(f'<img src="files/.remote-cache/{cached.name}" alt=') == 2
    assert f".remote-cache/{cached.name}" in report.sections[0].env["assets"]


def test_the_next_build_is_offline(make_source, server):
    url = server.url("/ok.png")
    source = source_with(make_source, [url])
    fetched(source)
    server.stop()
    report, messages = fetched(source)
    assert messages == []
    assert server.hits == {"/ok.png": 1}
    assert f'<img src="files/.remote-cache/{cached_name(url)}"' in page(report)


def test_the_budget_bounds_the_whole_fetch(make_source, server):
    """A host that never answers costs the budget, not its own timeout; the others still come in."""
    source = source_with(
        make_source, [server.url("/hang.png"), server.url("/ok.png"), server.url("/hang.png?2")], budget=1
    )
    started = time.monotonic()
    report, messages = fetched(source)
    assert time.monotonic() - started < HANG / 2, "the fetch waited for the hanging host"
    assert messages == [
        f"sections/a.md:5: warning: remote image not fetched: {server.url('/hang.png')} "
        "(no answer within the 1 s budget of remote.budget); the page shows a placeholder",
        f"sections/a.md:9: warning: remote image not fetched: {server.url('/hang.png?2')} "
        "(no answer within the 1 s budget of remote.budget); the page shows a placeholder",
    ]
    assert (source / ".remote-cache" / cached_name(server.url("/ok.png"))).is_file()
    assert page(report).count("<img") == 1


@pytest.mark.parametrize(
    "path,reason",
    [
        ("/page.html", "not an image: Content-Type text/html (allowed: image/png, image/jpeg, image/gif, image/webp)"),
        ("/drawing.svg", "not an image: Content-Type image/svg+xml"),
        ("/lying.png", "the data is not a image/png image"),
        ("/missing.png", "HTTP 404"),
        ("/to-file.png", "Redirection to url 'file:///etc/passwd' is not allowed"),
        ("/to-ftp.png", "redirected to a URL that is not http or https: ftp://127.0.0.1/x.png"),
    ],
)
def test_what_is_not_a_raster_image_is_refused_with_a_warning(make_source, server, path, reason):
    source = source_with(make_source, [server.url(path)])
    report, messages = fetched(source)
    assert len(messages) == 1
    assert messages[0].startswith(f"sections/a.md:5: warning: remote image not fetched: {server.url(path)} (")
    assert reason in messages[0]
    assert not (source / ".remote-cache").exists() or not any((source / ".remote-cache").iterdir())
    assert 'class="image-placeholder"' in page(report)


def test_an_image_over_the_size_cap_is_refused(make_source, server):
    source = source_with(make_source, [server.url("/big.png"), server.url("/ok.png")])
    report, messages = fetched(source, max_bytes=100_000)
    assert messages == [
        f"sections/a.md:5: warning: remote image not fetched: {server.url('/big.png')} "
        f"({len(PNG) + 200_000:,} bytes, over the limit of 100,000); the page shows a placeholder"
    ]
    assert page(report).count("<img") == 1


def test_a_link_local_host_is_never_contacted(make_source):
    """Cloud metadata services live there; refusing costs no time and no connection."""
    url = "http://169.254.169.254/latest/meta-data/x.png"
    source = source_with(make_source, [url], budget=5)
    report, messages = fetched(source)
    assert messages == [
        f"sections/a.md:5: warning: remote image not fetched: {url} (169.254.169.254 resolves to "
        "169.254.169.254, link-local, an address never fetched from); the page shows a placeholder"
    ]


def test_without_network_only_the_cache_is_read(make_source, server):
    """What `reportgen check` does: no download, but images fetched earlier count as fetched."""
    url = server.url("/ok.png")
    source = source_with(make_source, [url])
    report, messages = fetched(source, network=False)
    assert messages == [] and server.hits == {}
    assert 'class="image-placeholder"' in page(report)
    fetched(source)
    server.stop()
    report, messages = fetched(source, network=False)
    assert messages == [] and server.hits == {"/ok.png": 1}
    assert f'<img src="files/.remote-cache/{cached_name(url)}"' in page(report)


def test_the_build_fetches_and_publishes_remote_images(make_source, server, tmp_path):
    """End to end: ``remote: {fetch: true}`` gives the image in the HTML edition, copied into the site."""
    url = server.url("/ok.png")
    source = source_with(make_source, [url])
    result = CliRunner().invoke(
        main, ["build", str(source), "--out", str(tmp_path / "out"), "--format", "html"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    name = cached_name(url)
    assert f'<img src="files/.remote-cache/{name}"' in (tmp_path / "out" / "html" / "a.html").read_text(
        encoding="utf-8"
    )
    assert (tmp_path / "out" / "html" / "files" / ".remote-cache" / name).read_bytes() == PNG
    assert server.hits == {"/ok.png": 1}


def test_a_remote_image_written_as_html_is_fetched_like_a_markdown_one(make_source, server):
    url = server.url("/ok.png")
    body = f'# 甲\n\n| 图 |\n| --- |\n| <img src="{url}" width="300"> |\n\n<center><img src="{url}"></center>\n'
    source = make_source({"a.md": body}, manifest={"remote": {"fetch": True, "budget": 2}})
    report, messages = fetched(source)
    assert messages == [] and server.hits == {"/ok.png": 1}
    html = page(report)
    name = cached_name(url)
    assert f'<img src="files/.remote-cache/{name}" alt="" style="width: 300px">' in html
    assert f'<div class="align-center"><img src="files/.remote-cache/{name}" alt=""></div>' in html


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:7f00:1",
        "::127.0.0.1",
        "169.254.169.254",
        "fe80::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",
        "fc00::1",
        "fd12::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
    ],
)
def test_no_address_but_a_public_one_is_ever_contacted(address):
    assert remote.refused_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:3b2b", "1.1.1.1"])
def test_public_addresses_may_be_contacted(address):
    assert remote.refused_address(address) is None


def test_loopback_is_refused_by_name_and_in_every_spelling(make_source):
    """The real server is on 127.0.0.1 and nothing lets it through: it must see no request."""
    running = _Server()
    try:
        port = running.httpd.server_address[1]
        urls = [
            f"http://127.0.0.1:{port}/ok.png",
            f"http://localhost:{port}/ok.png",
            f"http://[::ffff:127.0.0.1]:{port}/ok.png",
            f"http://[::ffff:7f00:1]:{port}/ok.png",
            "http://[::ffff:169.254.169.254]/latest/meta-data/x.png",
            f"http://2130706433:{port}/ok.png",
        ]
        _, messages = fetched(source_with(make_source, urls, budget=5))
        assert running.hits == {}
        assert len(messages) == len(urls)
        assert all("an address never fetched from" in m for m in messages), messages
    finally:
        running.stop()


def test_the_address_is_checked_where_the_connection_is_made(make_source, monkeypatch):
    """A name that looked public when checked and resolves to loopback when connecting
    (DNS rebinding) still reaches nothing."""
    running = _Server()
    try:
        monkeypatch.setattr(remote, "_check_host", lambda url: None)
        url = running.url("/ok.png")
        _, messages = fetched(source_with(make_source, [url], budget=5))
        assert running.hits == {}
        assert messages and "127.0.0.1, loopback, an address never fetched from" in messages[0]
    finally:
        running.stop()


def test_a_redirect_to_loopback_in_disguise_is_not_followed(make_source, server):
    port = server.httpd.server_address[1]
    server.routes["/to-mapped.png"] = (302, f"http://[::ffff:127.0.0.1]:{port}/ok.png", b"")
    _, messages = fetched(source_with(make_source, [server.url("/to-mapped.png")]))
    assert server.hits == {"/to-mapped.png": 1}
    assert "an IPv6 address carrying an IPv4 one" in messages[0]
