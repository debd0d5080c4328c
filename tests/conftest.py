"""Shared fixtures: small report sources made in tmp_path, and the built sample."""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

# The property tests try the same examples on every run, so a run of the suite (CI's among
# them) never passes or fails by luck; HYPOTHESIS_PROFILE=explore looks for new ones.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


class SourceMaker:
    """Writes a report source: ``make(files={...}, manifest={...})``."""

    def __init__(self, root: Path):
        self.root = root

    def __call__(
        self,
        sections: dict[str, str],
        manifest: dict | None = None,
        extra: dict[str, str | bytes] | None = None,
        name: str = "src",
    ) -> Path:
        source = self.root / name
        (source / "sections").mkdir(parents=True, exist_ok=True)
        data = {
            "title": "测试报告",
            "year": 2026,
            "language": "zh-CN",
            "organisation": "测试社区",
            "sections": [f"sections/{n}" for n in sections],
        }
        data.update(manifest or {})
        (source / "report.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        for filename, text in sections.items():
            (source / "sections" / filename).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return write_files(source, extra or {})


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path → text, dedented, or bytes) below ``root``; return ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_source(tmp_path) -> SourceMaker:
    return SourceMaker(tmp_path)


@pytest.fixture(scope="module")
def scratch():
    """A two-section source whose first section (sections/01-a.md) a property test
    rewrites for every example; the second has a heading to link to."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder)
        (source / "sections").mkdir()
        (source / "assets").mkdir()
        (source / "assets" / "p.png").write_bytes(PNG)
        (source / "sections" / "02-b.md").write_text("# 乙\n\n## 背景\n\n正文。\n", encoding="utf-8")
        manifest = {
            "title": "t",
            "year": 2026,
            "sections": ["sections/01-a.md", "sections/02-b.md"],
            "limits": {"max_file_size": "50MB"},
        }
        (source / "report.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
        yield source


@pytest.fixture(scope="module")
def make_module_source(tmp_path_factory) -> SourceMaker:
    return SourceMaker(tmp_path_factory.mktemp("module-src"))


def _png() -> bytes:
    """A valid 2×2 PNG, made here so tests need no binary fixtures."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\x00\x00\xff\x00" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = _png()


CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium, which `make test` installs; the browser tests drive it with Playwright."""
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)


def launch_chromium(playwright):
    """Debian's Chromium, headless, from a running ``sync_playwright()``; a clear failure without it."""
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs Debian's chromium package")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS))
