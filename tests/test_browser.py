"""The HTML edition in a real browser: Debian's Chromium, driven by Playwright.

The test source (from test_site.py) is built once for this module, in the draft
and the public edition, and served on 127.0.0.1 under sub-paths, as a web host
serves a site that is not at its root: a link that leaves the sub-path fails.
"""

from __future__ import annotations

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from test_site import DUE, MARKERS, OTHER_OWNER, OWNER, UNFINISHED_TEXT, build_site

from tests.conftest import launch_chromium

SECTION_PAGES = ("01-intro.html", "02-finance.html", "03-events.html", "04-plans.html")
PAGES = ("index.html",) + SECTION_PAGES + ("search.html", "search.html?q=财务")


# --- fixtures: the built sites, a server, the browser --------------------------------------


@pytest.fixture(scope="module")
def sites(make_module_source, tmp_path_factory) -> dict[str, Path]:
    return {
        "draft": build_site(make_module_source, tmp_path_factory.mktemp("draft")),
        "public": build_site(make_module_source, tmp_path_factory.mktemp("public"), edition="public"),
    }


@pytest.fixture(scope="module")
def server(sites):
    """Base URLs of the served sites: the draft at /report/, the public edition at /public/."""
    mounts = {"/report/": sites["draft"], "/public/": sites["public"]}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, mounts))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield {"draft": origin + "/report/", "public": origin + "/public/"}
    httpd.shutdown()
    httpd.server_close()


class _Handler(SimpleHTTPRequestHandler):
    """Serves each site under its own sub-path and nothing outside them."""

    def __init__(self, mounts: dict[str, Path], *args, **kwargs):
        self.mounts = mounts
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        for prefix, site in self.mounts.items():
            if path.startswith(prefix):
                self.directory = str(site)
                return super().translate_path("/" + path[len(prefix) :])
        return "/nonexistent/outside-every-site"

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser):
    """``open_page(width=…, scheme=…)`` → a fresh page whose ``problems`` lists every console
    error, uncaught exception and failed or refused request."""
    contexts = []

    def make(width: int = 1280, scheme: str = "light") -> Page:
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: page.problems.append(f"exception: {e}"))
        # A request cut short by the next navigation (ERR_ABORTED) is the test moving on, not a fault.
        page.on(
            "requestfailed",
            lambda r: "ERR_ABORTED" not in (r.failure or "") and page.problems.append(f"failed: {r.url} {r.failure}"),
        )
        page.on("response", lambda r: r.status >= 400 and page.problems.append(f"HTTP {r.status}: {r.url}"))
        return page

    yield make
    for context in contexts:
        context.close()


def search_results(page: Page) -> list[tuple[str, str]]:
    """(text, href) of every link in the results, once the search page has answered."""
    page.wait_for_selector("#rg-search-results[aria-busy=false]", state="attached")
    found = page.eval_on_selector_all("#rg-search-results a", "links => links.map(a => [a.textContent, a.href])")
    return [tuple(link) for link in found]


def visit(page: Page, url: str):
    """Open ``url`` and wait until it has done all it does: loaded, and answered a search."""
    response = page.goto(url)
    if response.ok and "search.html" in url:
        page.wait_for_selector("#rg-search-results[aria-busy=false]", state="attached")
    return response


def target_id(page: Page) -> str | None:
    return page.evaluate("document.querySelector(':target') && document.querySelector(':target').id")


# --- navigation ------------------------------------------------------------------------------------


def test_every_navigation_link_leads_to_an_existing_page_and_anchor(open_page, server):
    page = open_page()
    base = server["draft"]
    targets: dict[str, set[str]] = {}
    for name in ("index.html",) + SECTION_PAGES:
        response = page.goto(base + name)
        assert response.ok, name
        hrefs = page.eval_on_selector_all(
            ".sidebar a, .toc a, .pager a, .page-toc a, .section-body a, .site-title", "links => links.map(a => a.href)"
        )
        for href in hrefs:
            parts = urlsplit(href)
            if parts.netloc != urlsplit(base).netloc:
                continue  # the external link of the test text
            assert parts.path.startswith("/report/"), (name, href)
            targets.setdefault(parts.path, set()).add(unquote(parts.fragment))
    assert len(targets) >= 5 and sum(len(a) for a in targets.values()) > 10
    for path, anchors in targets.items():
        assert page.goto(server["draft"].rsplit("/report/", 1)[0] + path).ok, path
        for anchor in anchors - {""}:
            assert page.evaluate("id => document.getElementById(id) !== null", anchor), (path, anchor)
    assert not page.problems


def test_link_to_another_sections_heading_opens_that_heading(open_page, server):
    page = open_page()
    page.goto(server["draft"] + "01-intro.html")
    page.click("text=财务报告中的预算")
    page.wait_for_url(re.compile(r"02-finance\.html#"))
    assert target_id(page) == "预算"
    assert page.locator("h2#预算").is_visible()


def test_skip_link_is_the_first_stop_and_moves_to_the_text(open_page, server):
    page = open_page()
    page.goto(server["draft"] + "02-finance.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "rg-content"


def test_sidebar_folds_away_on_a_phone_and_opens_on_request(open_page, server):
    phone = open_page(width=360)
    phone.goto(server["draft"] + "03-events.html")
    assert not phone.locator(".sidebar a[aria-current=page]").is_visible()
    phone.click(".sidebar summary")
    assert phone.locator(".sidebar a[aria-current=page]").is_visible()
    assert phone.locator(".sidebar-headings a[href='#秋季论坛']").is_visible()  # the page's contents
    desktop = open_page(width=1280)
    desktop.goto(server["draft"] + "03-events.html")
    assert desktop.locator(".sidebar a[aria-current=page]").is_visible()
    assert desktop.locator(".page-toc a[href='#秋季论坛']").is_visible()


def test_no_link_list_is_justified_so_a_wrapped_title_keeps_its_characters_together(open_page, server):
    """Paragraphs are justified between characters; a long title in the sidebar, the page's
    contents or the pager must not be: it would open gaps between every character."""
    page = open_page(width=1280)
    page.goto(server["draft"] + "03-events.html")
    aligns = page.eval_on_selector_all("nav li", "items => items.map(li => getComputedStyle(li).textAlign)")
    assert aligns and "justify" not in aligns
    paragraph = page.eval_on_selector(".section-body p", "p => getComputedStyle(p).textAlign")
    assert paragraph == "justify"


# --- search ------------------------------------------------------------------------------------------


def test_chinese_query_finds_the_finance_section_and_links_to_its_heading(open_page, server):
    page = open_page()
    page.goto(server["draft"] + "03-events.html")
    page.fill("#rg-search-input", "财务")
    page.press("#rg-search-input", "Enter")
    page.wait_for_url(re.compile(r"search\.html\?q="))
    results = search_results(page)
    assert results, page.text_content("#rg-search-status")
    assert urlsplit(results[0][1]).path == "/report/02-finance.html"
    assert results[0][0] == "财务报告"
    budget = [text for text, href in results if href == server["draft"] + "02-finance.html#%E9%A2%84%E7%AE%97"]
    assert budget == ["预算"]  # the heading under which 财务 was found, without draft badges or owners
    page.click("#rg-search-results a[href$='#%E9%A2%84%E7%AE%97']")
    page.wait_for_url(re.compile(r"02-finance\.html#"))
    assert target_id(page) == "预算"
    assert not page.problems


def test_search_updates_as_the_reader_types(open_page, server):
    page = open_page()
    page.goto(server["draft"] + "search.html")
    page.wait_for_selector("#rg-search-results[aria-busy=false]", state="attached")
    page.type("#rg-search-input", "志愿者")
    page.wait_for_url(re.compile(r"q=%E5%BF%97"))
    links = [href for _, href in search_results(page)]
    assert any(href.endswith("03-events.html#%E5%BF%97%E6%84%BF%E8%80%85") for href in links), links


def test_search_does_not_find_owners_or_due_dates_of_the_draft(open_page, server):
    page = open_page()
    for word in (OWNER, OTHER_OWNER, "截止"):
        page.goto(server["draft"] + f"search.html?q={word}")
        assert search_results(page) == [], word
        assert word in page.text_content("#rg-search-status")  # "nothing found for …"


def test_search_from_a_file_on_disk_says_it_needs_a_server(open_page, sites):
    page = open_page()
    page.goto((sites["draft"] / "search.html").as_uri() + "?q=财务")
    status = page.locator("#rg-search-status")
    assert "http.server" in status.text_content()
    assert "search-problem" in status.get_attribute("class")
    assert not page.problems


# --- every page: console, width, colours, print ------------------------------------------------------


def test_no_page_logs_an_error(open_page, server):
    page = open_page()
    for name in PAGES:
        visit(page, server["draft"] + name)
        assert not page.problems, (name, page.problems)


def test_no_page_scrolls_sideways_at_360_pixels(open_page, server):
    page = open_page(width=360)
    for edition in ("draft", "public"):
        for name in PAGES:
            if visit(page, server[edition] + name).status == 404:
                continue  # a section the public edition left out
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (edition, name, width)
    # The wide table is still all there: it scrolls inside its own box.
    page.goto(server["draft"] + "02-finance.html")
    scroll_width, width = page.eval_on_selector(".table-wrap", "box => [box.scrollWidth, box.clientWidth]")
    assert scroll_width > width


def _luminance(css_colour: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_scheme_follows_the_system_setting(open_page, server):
    colours = {}
    for scheme in ("light", "dark"):
        page = open_page(scheme=scheme)
        page.goto(server["draft"] + "02-finance.html")
        colours[scheme] = page.evaluate(
            "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
        )
    assert _luminance(colours["light"][0]) > 0.9 and _luminance(colours["light"][1]) < 0.3
    assert _luminance(colours["dark"][0]) < 0.15 and _luminance(colours["dark"][1]) > 0.7


def test_print_shows_the_text_without_the_navigation(open_page, server):
    page = open_page()
    page.goto(server["draft"] + "03-events.html")
    page.emulate_media(media="print")
    assert not page.locator(".sidebar").is_visible()
    assert not page.locator(".site-header").is_visible()
    assert page.locator("h2#春季年会").is_visible()


# --- the public edition ---------------------------------------------------------------------------------


def test_public_edition_shows_and_finds_nothing_unfinished_or_internal(open_page, server):
    page = open_page()
    for name in ("index.html",) + SECTION_PAGES:
        response = page.goto(server["public"] + name)
        if name == "04-plans.html":
            assert response.status == 404  # its only unit is still being reviewed
            continue
        text = page.inner_text("body")
        for word in MARKERS + (OWNER, OTHER_OWNER, DUE) + UNFINISHED_TEXT:
            assert word not in text, (name, word)
    for word in UNFINISHED_TEXT + ("秋季论坛",):
        page.goto(server["public"] + f"search.html?q={word}")
        assert search_results(page) == [], word
    page.goto(server["public"] + "search.html?q=财务")
    results = search_results(page)
    assert ("财务报告", server["public"] + "02-finance.html") in results
    assert ("预算", server["public"] + "02-finance.html#%E9%A2%84%E7%AE%97") in results


# --- charts on a phone -------------------------------------------------------------------

CHART_ROWS = '[{年: "2022", 线下: 1100, 线上: 42000}, {年: "2023", 线下: 1480, 线上: 52000}, {年: "2024", 线下: 1234567, 线上: 61000}]'
CHARTS = "\n".join(
    f"```chart\ntype: {kind}\ntitle: 参会人数{kind}\ndata: {CHART_ROWS}\nx: 年\ny: {'线下' if kind == 'pie' else '[线下, 线上]'}\nunit: 人\n```\n"
    for kind in ("bar", "barh", "line", "pie", "stacked")
)


@pytest.fixture(scope="module")
def chart_page(make_module_source) -> Path:
    from reportgen.build import BuildOptions, build

    source = make_module_source({"a.md": "# 图表\n\n" + CHARTS}, name="charts")
    result = build(BuildOptions(source=source, out=source / "build", formats=("html",)))
    assert result.ok, [str(d) for d in result.diagnostics.items]
    return source / "build" / "html" / "a.html"


def chart_text_heights(page: Page) -> list[list[float]]:
    """Per shown chart, the rendered height in CSS pixels of each of its labels."""
    return page.eval_on_selector_all(
        "figure.chart svg",
        """svgs => svgs
        .filter(svg => svg.getBoundingClientRect().width > 0)
        .map(svg => [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height))""",
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_chart_labels_are_at_least_11_pixels_tall_on_a_phone_and_a_desktop(open_page, chart_page, width):
    page = open_page(width=width)
    page.goto(chart_page.as_uri())
    heights = chart_text_heights(page)
    assert len(heights) == 5  # one drawing of each chart is shown
    assert all(heights) and min(min(h) for h in heights) >= 11, heights
    assert not page.problems


def test_a_chart_has_alt_text_and_its_numbers_as_a_table(open_page, chart_page):
    page = open_page(width=360)
    page.goto(chart_page.as_uri())
    figure = page.locator("figure.chart").first
    assert figure.locator("svg:visible title").first.text_content() == "参会人数bar"
    figure.locator("details.chart-data summary").click()
    cells = figure.locator("details.chart-data td").all_inner_texts()
    assert "1,234,567" in cells and "2024" in cells
