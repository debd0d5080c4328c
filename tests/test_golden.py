"""Whole pages of the sample must equal the checked-in golden pages (``make golden`` rewrites them)."""

from __future__ import annotations

import difflib

import pytest

from tests.golden import EPOCH, GOLDEN, PAGES, build_pages


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        return build_pages(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_equals_its_golden_copy(built, name):
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    if built[name] != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), built[name].splitlines(True), f"tests/golden/{name}", "built", n=2
            )
        )
        pytest.fail(f"{name} differs from its golden copy (review, then `make golden`):\n{diff[:4000]}")
