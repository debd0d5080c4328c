"""The progress dashboard as a section owner sees it, and the progress history it reads from git."""

from __future__ import annotations

import base64
import datetime
import hashlib
import html as htmlmod
import json
import os
import re
import subprocess
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from reportgen import history
from reportgen.cli import main
from tests.conftest import launch_chromium

SOON = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()

SOURCE = {
    "a.md": """
        ---
        owner: 张三
        reviewers: [王五, 赵六]
        due: 2000-01-01
        owners:
          预算: 李四
        ---
        # 财务报告

        ## ✅ 收入

        收入一百万元。

        ## 👁️ 支出

        支出八十万元。

        ## ✍️ 预算

        明年预算。
    """,
    "b.md": f"""
        ---
        status: editing
        owner: 李四
        due: {SOON}
        ---
        # 活动

        年会与沙龙。
    """,
    "c.md": """
        ---
        status: done
        ---
        # 附录
    """,
}


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


def table(html: str, name: str) -> str:
    """One table of the page (``sections``, ``units``, ``owners``) as HTML."""
    return re.search(rf'<table class="[^"]*\b{name}\b[^"]*".*?</table>', html, re.S).group(0)


class Page(HTMLParser):
    """The text of every element, found by class: what a reader of the page sees."""

    VOID = {"meta", "br", "input", "link", "img", "hr", "source", "path", "rect", "use"}

    def __init__(self, html: str):
        super().__init__()
        self.stack: list[tuple[str, dict, list[str]]] = []
        self.found: list[tuple[str, dict, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs), []))

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        while self.stack:
            name, attrs, parts = self.stack.pop()
            text = " ".join("".join(parts).split())
            self.found.append((name, attrs, text))
            if self.stack:
                self.stack[-1][2].append(text + " ")
            if name == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)

    def texts(self, css_class: str) -> list[str]:
        return [text for _, attrs, text in self.found if css_class in (attrs.get("class") or "").split()]

    def elements(self, attribute: str) -> list[tuple[dict, str]]:
        return [(attrs, text) for _, attrs, text in self.found if attribute in attrs]


@pytest.fixture(scope="module")
def built(make_module_source):
    """The source, its `status --json` and its dashboard, built once through the command line."""
    source = make_module_source(SOURCE)
    result = run("build", source, "--format", "dashboard")
    assert result.exit_code == 0, result.output
    status = run("status", source, "--json")
    assert status.exit_code == 0, status.output
    html = (source / "build" / "dashboard" / "index.html").read_text(encoding="utf-8")
    return source, json.loads(status.stdout), html


def test_numbers_agree_with_status_json(built):
    _, data, html = built
    page = Page(html)
    tiles = {
        classes[1]: text
        for attrs, text in page.elements("class")
        if (classes := attrs["class"].split() or [""])[0] == "tile"
    }
    for status, count in data["counts"].items():
        assert tiles[f"s-{status}"].startswith(f"{count} "), (status, tiles)
    assert data["percent_done"] == 40.0
    assert page.texts("big")[0] == "40 %"
    unit_rows = [attrs["data-unit"] for attrs, _ in page.elements("data-unit")]
    assert len(unit_rows) == sum(data["counts"].values())
    assert {s: unit_rows.count(s) for s in data["counts"]} == data["counts"]
    sections = Page(table(html, "sections"))
    assert sections.texts("title") == [s["title"] for s in data["sections"]]
    assert sections.texts("c-words") == [f"{s['words']:,}" for s in data["sections"]]
    assert [attrs["title"] for attrs, _ in sections.elements("title") if "chip" in attrs.get("class", "")] == [
        s["status"] + ("" if s["own_status"] else "（下级单元中最靠前的状态 least advanced below）")
        for s in data["sections"]
    ]


def test_owner_table_counts_units_and_overdue_per_owner(built):
    _, data, html = built
    rows = re.findall(r'<tr data-people="([^"]*)">\s*<th scope="row">[^<]*</th>(.*?)</tr>', html, re.S)
    cells = {name: re.findall(r'<td class="n[^"]*"[^>]*>(\d+)</td>', body) for name, body in rows}
    # columns: editing, reviewing, done (no unit is unmarked, so that column is left out), overdue
    assert cells["张三"] == ["0", "1", "1", "1"]
    assert cells["李四"] == ["2", "0", "0", "1"]
    assert cells["（未指定）"] == ["0", "0", "1", "0"]


def test_needs_attention_says_who_must_do_what_where(built):
    _, _, html = built
    page = Page(html)
    groups = {text.split()[0]: text for text in page.texts("group")}
    assert "sections/a.md:14" in groups["逾期"] and "张三" in groups["逾期"]  # 支出, reviewing, long overdue
    assert "sections/a.md:18" in groups["逾期"] and "李四" in groups["逾期"]  # 预算 belongs to 李四
    assert "sections/a.md:10" not in groups["逾期"]  # 收入 is done
    assert "请 王五、赵六 审核" in groups["待审核"] and "支出" in groups["待审核"]
    assert "还剩 3 天" in groups["即将到期"] and "sections/b.md:6" in groups["即将到期"]
    assert "附录" in groups["空白章节"] and "sections/c.md:4" in groups["空白章节"]
    assert "附录" in groups["无负责人"]
    assert "section is empty" in groups["构建提示"]
    reviewers = [attrs["data-people"] for attrs, text in page.elements("data-people") if "请 王五" in text]
    assert reviewers and set(reviewers[0].split("|")) == {"王五", "赵六", "张三"}


def test_page_loads_nothing_and_allows_only_its_own_script(built):
    _, _, html = built
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html and "@import" not in html
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    policy = htmlmod.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    assert f"script-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy
    assert "prefers-color-scheme: dark" in html
    assert html.count("<svg") >= 3  # units by status, owners, words (no history outside git)
    assert "还没有历史记录" in html


def test_view_as_filter_works_in_a_browser_under_the_policy(built):
    from playwright.sync_api import sync_playwright

    source, _, _ = built
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto((source / "build" / "dashboard" / "index.html").as_uri())
        page.select_option("#person-filter", "王五")
        visible = [t.split("\n")[0] for t in page.locator("#unit-table tbody tr:visible td.title").all_inner_texts()]
        page.select_option("#person-filter", "")
        page.click(".seg-buttons button[data-status=editing]")
        editing = [t.split("\n")[0] for t in page.locator("#unit-table tbody tr:visible td.title").all_inner_texts()]
        browser.close()
    assert problems == []
    assert visible == ["支出"]  # the unit 王五 must review
    assert sorted(editing) == ["活动", "预算"]


# --- history from git ------------------------------------------------------------------------------


def git(source, *args, date="2025-01-01T09:00:00+08:00"):
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=source, env=env, check=True, capture_output=True)


def commit(source, message, date):
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", message, date=date)


@pytest.fixture
def repo(make_source):
    """A report in git with three commits: all editing, one done, then a second section."""
    source = make_source({"a.md": "# 章\n\n## ✍️ 甲\n\n## ✍️ 乙\n"})
    git(source, "init", "-q")
    git(source, "config", "user.name", "测试者")
    git(source, "config", "user.email", "tester@example.org")
    commit(source, "开始", "2025-01-01T09:00:00+08:00")
    (source / "sections" / "a.md").write_text("# 章\n\n## ✅ 甲\n\n## 👁️ 乙\n", encoding="utf-8")
    (source / "notes.txt").write_text("not part of the report\n", encoding="utf-8")
    commit(source, "甲完成", "2025-02-01T09:00:00+08:00")
    git(source, "commit", "-q", "--allow-empty", "-m", "不涉及报告", date="2025-02-15T09:00:00+08:00")
    (source / "sections" / "b.md").write_text("# ✍️ 乙章\n\n正文。\n", encoding="utf-8")
    manifest = (source / "report.yaml").read_text(encoding="utf-8")
    (source / "report.yaml").write_text(
        manifest.replace("- sections/a.md", "- sections/a.md\n- sections/b.md"), encoding="utf-8"
    )
    commit(source, "新增乙章", "2025-03-01T09:00:00+08:00")
    return source


def test_history_counts_units_at_each_commit_that_touched_the_report(repo):
    assert history.progress_history(repo) == [
        ("2025-01-01T09:00:00+08:00", {"editing": 2, "reviewing": 0, "done": 0, "unmarked": 0}),
        ("2025-02-01T09:00:00+08:00", {"editing": 0, "reviewing": 1, "done": 1, "unmarked": 0}),
        ("2025-03-01T09:00:00+08:00", {"editing": 1, "reviewing": 1, "done": 1, "unmarked": 0}),
    ]


def test_history_is_cached_per_commit_and_not_read_again(repo, tmp_path):
    cache = tmp_path / "out" / ".cache" / "history"
    first = history.read_history(repo, cache)
    files = sorted(cache.glob("*.json"))
    assert len(files) == 3
    # Tamper with one cached entry: a rebuild must take it from the cache, not from git.
    record = json.loads(files[0].read_text(encoding="utf-8"))
    record["counts"] = {"editing": 0, "reviewing": 0, "done": 99, "unmarked": 0}
    files[0].write_text(json.dumps(record), encoding="utf-8")
    second = history.read_history(repo, cache)
    assert 99 in [counts["done"] for _, counts in second.points]
    assert len(second.points) == len(first.points) == 3


def test_history_is_capped_to_the_newest_commits(repo):
    capped = history.read_history(repo, limit=2)
    assert [date[:10] for date, _ in capped.points] == ["2025-02-01", "2025-03-01"]
    assert (capped.capped, capped.read, capped.total) == (True, 2, 3)


def test_dashboard_of_a_git_source_shows_burnup_and_last_change(repo):
    (repo / "sections" / "b.md").write_text("# ✍️ 乙章\n\n改了。\n", encoding="utf-8")
    result = run("build", repo, "--format", "dashboard")
    assert result.exit_code == 0, result.output
    html = (repo / "build" / "dashboard" / "index.html").read_text(encoding="utf-8")
    assert "进度变化 Progress over time" in html and "还没有历史记录" not in html
    assert "3 次提交" in html
    rows = {
        title: text
        for title, text in re.findall(r'<td class="title">([^<]+)</td>(.*?)</tr>', table(html, "sections"), re.S)
    }
    assert "测试者" in rows["章"] and "未提交" not in rows["章"]
    assert "未提交" in rows["乙章"]


def test_source_outside_git_has_no_history_and_no_error(make_source, monkeypatch):
    source = make_source({"a.md": "# ✍️ 章\n"})
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(source.parent))  # never find an enclosing repository
    assert history.read_history(source) == history.History([], 0, 0)
    assert history.last_changes(source, ["sections/a.md"]) == {}
    assert history.revision(source) is None


def test_missing_git_gives_no_history(repo, monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert history.progress_history(repo) == []
    assert history.last_changes(repo, ["sections/a.md"]) == {}


def test_an_english_report_is_told_what_to_do_in_english_with_its_own_markers(make_source, tmp_path):
    from reportgen.errors import Diagnostics
    from reportgen.load.reader import load_report
    from reportgen.render import dashboard

    source = make_source(
        {"a.md": "---\nreviewers: [Wang]\ndue: 2000-01-01\n---\n# 🔵Finance\n\nText.\n", "b.md": "# Plans\n\nText.\n"},
        manifest={"language": "en", "markers": {"reviewing": ["🔵"]}},
    )
    page = dashboard.render_page(
        load_report(source, Diagnostics()), tmp_path, Diagnostics(), today=datetime.date(2000, 1, 11)
    )
    for text in (
        "Waiting for review",
        "for Wang to review",
        "10 days overdue · due 2000-01-01",
        "No owner",
        "(nobody)",
        "mark the heading: ✍️ editing / 🔵 reviewing / ✅ done",
    ):
        assert htmlmod.escape(text, quote=False) in page, text
    assert "（未指定）" not in page and "审核" not in page.split('id="attention"')[1].split("</section>")[0]
