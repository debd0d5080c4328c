"""Remote images: fetched once, within one time budget, and kept in the source folder.

A section may show an image from the web (``![alt](https://…)``).  By default
nothing is fetched: the image stays a visible placeholder and the reader
warns at its line.  With ``remote: {fetch: true, budget: SECONDS}`` in
``report.yaml``, `fetch_remote` downloads every such image before rendering —
a few at a time, all of them within the one budget, so a host that never
answers costs the build at most the budget — and keeps each in
``SOURCE/.remote-cache/<sha256 of the URL>.<ext>``.  The next build finds
them there and does not touch the network.

Only raster images come in: the response must say PNG, JPEG, GIF or WebP, its
first bytes must agree, and it must fit under a size cap.  SVG is refused: a
published SVG file opened on its own runs its scripts on the site's origin.
Redirects may lead to http and https only, and only public addresses are
ever contacted: a host that resolves to a loopback, private, link-local (cloud
metadata services), multicast, reserved or unspecified address, or to an IPv6
address that embeds an IPv4 one (``::ffff:127.0.0.1``), is refused — checked
on the address the connection is really made to, so a name that resolves
differently the second time gains nothing.  (Behind an HTTP proxy the proxy
connects; reportgen then checks the addresses the name resolves to here.)
"""

from __future__ import annotations

import hashlib
import http.client
import io
import ipaddress
import queue
import socket
import threading
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from markdown_it.token import Token

from reportgen import output
from reportgen.errors import Diagnostics
from reportgen.model import Report, Section
from reportgen.render.markdown import ImageRef, set_ref

CACHE = ".remote-cache"
"""Folder, inside the source, of fetched images; build outputs refer to it."""

POOL = 4
"""Downloads at a time."""

MAX_BYTES = 10 * 1024 * 1024
"""Largest image accepted, in bytes."""

TYPES = MappingProxyType({"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"})
"""Content types accepted, with the file extension each is cached under."""

_MAGIC = MappingProxyType(
    {
        "png": (b"\x89PNG\r\n\x1a\n",),
        "jpg": (b"\xff\xd8\xff",),
        "gif": (b"GIF87a", b"GIF89a"),
        "webp": (b"RIFF",),  # and "WEBP" at offset 8, checked below
    }
)
_CHUNK = 64 * 1024
_MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class RemoteImage:
    """One ``![…](http…)`` in a section, where an author can find it."""

    path: str
    """Section file, relative to the source."""
    line: int | None
    """Line in that file."""
    url: str
    token: Token


class FetchProblem(Exception):
    """Why one image could not be fetched; becomes the end of a warning."""


def fetch_remote(report: Report, diags: Diagnostics, *, network: bool = True, max_bytes: int = MAX_BYTES) -> Report:
    """Make every remote image of ``report`` a local file, or warn at its line.

    With ``remote.fetch`` off this does nothing (the reader already warned
    about each remote image).  With it on, images already in the cache are
    used as they are; the others are downloaded when ``network`` is true
    (``check`` passes False: it reads the cache, it does not download).  A
    fetched image's token becomes ``ImageRef("fetched", cached file)``, and the
    report returned has the file among its section's assets so the HTML edition
    carries it (a new section env: the loaded report's is left as parsed).
    """
    manifest = report.manifest
    images = remote_images(report)
    if not images or not manifest.remote_fetch:
        return report
    cache = report.source / CACHE
    outcomes: dict[str, str | FetchProblem | None] = {url: cached(cache, url) for url in _unique(images)}
    missing = [url for url, outcome in outcomes.items() if outcome is None]
    if missing and network:
        outcomes.update(_download_all(missing, cache, manifest.remote_budget, max_bytes))
    fetched: dict[str, set[str]] = {}
    for image in images:
        if (target := _apply(image, outcomes.get(image.url), diags)) is not None:
            fetched.setdefault(image.path, set()).add(target)
    return replace(report, sections=tuple(_with_assets(s, fetched.get(s.path)) for s in report.sections))


def _with_assets(section: Section, more: set[str] | None) -> Section:
    if not more:
        return section
    return replace(section, env={**section.env, "assets": set(section.env.get("assets", ())) | more})


def remote_images(report: Report) -> list[RemoteImage]:
    """Every remote image of every section, in reading order."""
    found = []
    for section in report.sections:
        for line, url, token in section.env.get("remote_images", []):
            file_line = None if line is None else section.body_line + line - 1
            found.append(RemoteImage(section.path, file_line, url, token))
    return found


def cache_name(url: str, extension: str) -> str:
    """File name of ``url``'s image in the cache."""
    return f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.{extension}"


def cached(cache: Path, url: str) -> str | None:
    """``.remote-cache/<name>`` when ``url`` was fetched before (and the file is sound), else None."""
    for extension in _MAGIC:
        path = cache / cache_name(url, extension)
        if path.is_file() and _sniff(_head(path)) == extension:
            return f"{CACHE}/{path.name}"
    return None


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(16)


def _unique(images: list[RemoteImage]) -> list[str]:
    return list(dict.fromkeys(image.url for image in images))


def _apply(image: RemoteImage, outcome, diags: Diagnostics) -> str | None:
    """The cached file now shown for ``image``, or None (with a warning when fetching failed)."""
    if isinstance(outcome, str):
        set_ref(image.token, ImageRef("fetched", outcome))
        return outcome
    set_ref(image.token, ImageRef("remote"))  # a section kept by a `ParseCache` may show an earlier build's file
    if isinstance(outcome, FetchProblem):
        diags.warning(
            image.path, image.line, f"remote image not fetched: {image.url} ({outcome}); the page shows a placeholder"
        )
    # None: not in the cache and not downloaded in this run (check); the build will try.
    return None


# --- downloading --------------------------------------------------------------------------


def _download_all(urls: list[str], cache: Path, budget: float, max_bytes: int) -> dict[str, str | FetchProblem]:
    """Download ``urls`` a few at a time; whatever is not done when ``budget`` runs out is a problem.

    Workers are daemon threads and only hand back bytes: one stuck in a
    socket (or in a DNS lookup, which no timeout covers) cannot hold up the
    build or write anything after the build moved on.
    """
    deadline = time.monotonic() + budget
    todo: queue.Queue[str] = queue.Queue()
    for url in urls:
        todo.put(url)
    done: queue.Queue[tuple[str, bytes | FetchProblem]] = queue.Queue()
    for _ in range(min(POOL, len(urls))):
        threading.Thread(target=_worker, args=(todo, done, deadline, max_bytes), daemon=True).start()
    outcomes: dict[str, str | FetchProblem] = {}
    for _ in urls:  # one result per URL at most; the deadline ends the wait early
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            url, result = done.get(timeout=remaining)
        except queue.Empty:
            break
        outcomes[url] = _store(cache, url, result) if isinstance(result, bytes) else result
    late = FetchProblem(f"no answer within the {budget:g} s budget of remote.budget")
    return {url: outcomes.get(url, late) for url in urls}


def _worker(todo: queue.Queue, done: queue.Queue, deadline: float, max_bytes: int) -> None:
    while time.monotonic() < deadline:
        try:
            url = todo.get_nowait()
        except queue.Empty:
            return
        try:
            result: bytes | FetchProblem = download(url, deadline, max_bytes)
        except FetchProblem as problem:
            result = problem
        except Exception as error:  # a worker must answer for every URL it took, whatever happened
            result = FetchProblem(f"{type(error).__name__}: {error}")
        done.put((url, result))


def _store(cache: Path, url: str, body: bytes) -> str:
    name = cache_name(url, _sniff(body))
    output.write_bytes(cache / name, body)
    return f"{CACHE}/{name}"


def download(url: str, deadline: float, max_bytes: int = MAX_BYTES) -> bytes:
    """The body of ``url`` if it is a raster image under ``max_bytes`` that arrives before ``deadline``."""
    _check_host(url)
    request = urllib.request.Request(
        url,
        headers={
            "User-Agent": "reportgen",
            "Accept": ", ".join(TYPES),
        },
    )
    try:
        with _opener().open(request, timeout=_remaining(deadline)) as response:
            kind = response.headers.get_content_type()
            if kind not in TYPES:
                raise FetchProblem(f"not an image: Content-Type {kind} (allowed: {', '.join(TYPES)})")
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise FetchProblem(f"{int(length):,} bytes, over the limit of {max_bytes:,}")
            body = _read(response, deadline, max_bytes)
    except urllib.error.HTTPError as error:
        raise FetchProblem(f"HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise FetchProblem(f"cannot connect: {error.reason}") from None
    except (TimeoutError, socket.timeout):
        raise FetchProblem("timed out") from None
    except (OSError, ValueError, http.client.HTTPException) as error:  # a broken connection or response
        raise FetchProblem(f"{type(error).__name__}: {error}") from None
    _check_image(body, kind)
    return body


def _check_image(body: bytes, kind: str) -> None:
    """The body decodes as the raster image it says it is; a damaged one would stop the PDF."""
    if _sniff(body) is None:
        raise FetchProblem(f"the data is not a {kind} image")
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's notes on odd but readable data mean nothing to a writer
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # ~90 megapixels: too big to typeset
            with Image.open(io.BytesIO(body)) as image:
                image.load()
    except Exception as error:  # Pillow raises many kinds for damaged data
        raise FetchProblem(f"the image cannot be decoded: {error}") from None


def _read(response, deadline: float, max_bytes: int) -> bytes:
    parts, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise FetchProblem("timed out")
        chunk = response.read(_CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > max_bytes:
            raise FetchProblem(f"over the limit of {max_bytes:,} bytes")
        parts.append(chunk)


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchProblem("timed out")
    return remaining


def _check_host(url: str) -> None:
    """Refuse URLs that are not http(s), and hosts that resolve to any address `refused_address` refuses."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchProblem("only http and https URLs are fetched")
    _resolve(parts.hostname, parts.port)


def _resolve(host: str, port: int | None) -> list[tuple]:
    """The addresses of ``host``, all of them public; else a `FetchProblem`."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError, OSError) as error:
        raise FetchProblem(f"cannot resolve {host}: {error}") from None
    for info in infos:
        reason = refused_address(info[4][0])
        if reason:
            raise FetchProblem(f"{host} resolves to {info[4][0]}, {reason}, an address never fetched from")
    return infos


def refused_address(text: str) -> str | None:
    """Why the IP address ``text`` is never contacted, or None for a public address."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None or address.sixtofour is not None or address.teredo is not None:
            return "an IPv6 address carrying an IPv4 one"
        if int(address) >> 32 == 0:  # ::a.b.c.d, the deprecated IPv4-compatible form (and :: and ::1)
            return "an IPv6 address carrying an IPv4 one"
        if address in ipaddress.IPv6Network("64:ff9b::/96") or address in ipaddress.IPv6Network("64:ff9b:1::/48"):
            return "an IPv6 address carrying an IPv4 one"
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified", "site_local"):
        if getattr(address, f"is_{kind}", False):
            return kind.replace("_", "-")
    if not address.is_global:
        return "not a public address"
    return None


def _checked_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """`socket.create_connection` to an address `_resolve` accepted (checked here, at connect time)."""
    host, port = address
    error: OSError | None = None
    for family, kind, proto, _name, peer in _resolve(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            sock.connect(peer)
            return sock
        except OSError as failure:
            sock.close()
            error = failure
    raise error or OSError(f"cannot connect to {host}")


class _CheckedHTTP(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _CheckedHTTPS(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(http.client.HTTPConnection if req.has_proxy() else _CheckedHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        proxied = req.has_proxy() or getattr(req, "_tunnel_host", None)
        return self.do_open(
            http.client.HTTPSConnection if proxied else _CheckedHTTPS,
            req,
            context=self._context,
            check_hostname=self._check_hostname,
        )


def _sniff(head: bytes) -> str | None:
    """The raster type the first bytes announce, or None."""
    for extension, signatures in _MAGIC.items():
        if head.startswith(signatures):
            if extension == "webp" and head[8:12] != b"WEBP":
                continue
            return extension
    return None


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows a few redirects, to http and https only."""

    max_redirections = _MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise FetchProblem(f"redirected to a URL that is not http or https: {newurl}")
        _check_host(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_Redirects(), _HTTPHandler(), _HTTPSHandler())
