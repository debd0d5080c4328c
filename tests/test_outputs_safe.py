"""Nothing lost and reproducible: failed, killed and repeated builds, seen from the output folder.

A failed build leaves the previous ``report.pdf``, site and dashboard byte
for byte as they were; a killed one leaves each of them whole (the previous
version, or the new one where it was already in place), and the next build
clears what the killed one left behind.  With ``SOURCE_DATE_EPOCH`` set, two
builds in two processes give the same bytes; without it the PDF is dated by
the source's last change, never by the clock.
"""

from __future__ import annotations

import datetime
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests.conftest import PNG

PROJECT = Path(__file__).resolve().parents[1]
EPOCH = 1767225600  # 2026-01-01T00:00:00Z
UNITS = ("report.pdf", "html", "dashboard")
"""The outputs a reader sees; ``.cache/`` is the build's own business."""

SECTIONS = {
    "01-intro.md": """
        ---
        owner: 张三
        due: 2026-12-01
        ---
        # ✅ 引言

        二〇二六年，社区稳步前行。见[财务](02-finance.md)。志愿者[^1]功不可没。

        ![合影](../assets/photo.png)

        [^1]: 感谢所有志愿者。
        """,
    "02-finance.md": """
        ---
        owner: 李四
        ---
        # 👁️ 财务

        ## 收入

        ```chart
        type: bar
        title: 收入
        data: assets/money.csv
        x: 年份
        y: 收入
        ```

        | 项目 | 金额 |
        | --- | ---: |
        | 场地 | 1,200 |
        """,
    "03-members.md": "# ✍️ 成员\n\n成员名单待补充。\n",
}
ASSETS = {"assets/photo.png": PNG, "assets/money.csv": "年份,收入\n2024,10\n2025,12\n"}


def cli(*args, env: dict | None = None) -> tuple[int, str]:
    runner = CliRunner(env=env)
    result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def run(source: Path, out: Path, *extra: str, env: dict | None = None, seed: str = "0") -> subprocess.CompletedProcess:
    """``python -m reportgen build`` in its own process (a fresh interpreter, its own hash seed)."""
    environment = {**os.environ, "PYTHONHASHSEED": seed, **(env or {})}
    if env is not None and "SOURCE_DATE_EPOCH" not in env:
        environment.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run(
        [sys.executable, "-m", "reportgen", "build", str(source), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT,
        timeout=600,
    )


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file a reader sees, by path relative to ``out``."""
    files = {}
    for unit in UNITS:
        path = out / unit
        if path.is_file():
            files[unit] = path.read_bytes()
        elif path.is_dir():
            files.update(
                {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
            )
    return files


def by_unit(files: dict[str, bytes]) -> dict[str, dict[str, bytes]]:
    units: dict[str, dict[str, bytes]] = {unit: {} for unit in UNITS}
    for rel, data in files.items():
        units[rel.split("/", 1)[0]][rel] = data
    return units


def leftovers(out: Path) -> list[str]:
    """Temporary files and folders of an unfinished write, anywhere in ``out``."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.name.endswith((".tmp", ".old")))


# --- a build that fails -------------------------------------------------------------------


@pytest.fixture
def good(make_source, tmp_path):
    """A source with a complete first build of every format in ``tmp_path/out``."""
    source = make_source(SECTIONS, extra=ASSETS)
    out = tmp_path / "out"
    code, text = cli("build", source, "--out", out)
    assert code == 0, text
    assert set(by_unit(snapshot(out))) == set(UNITS) and all(by_unit(snapshot(out)).values())
    return source, out


def test_a_build_failing_in_the_sources_leaves_every_output_as_it_was(good):
    source, out = good
    before = snapshot(out)
    (source / "sections" / "02-finance.md").write_text(
        "---\nstatus: finished\n---\n# 财务\n\n变了。\n", encoding="utf-8"
    )
    code, text = cli("build", source, "--out", out)
    assert code == 1 and "unknown status 'finished'" in text
    assert snapshot(out) == before
    assert not leftovers(out)


def test_a_build_failing_after_rendering_leaves_every_output_as_it_was(good):
    """Under --strict a warning found while typesetting (a glyph no font has) fails the
    build after every output was rendered: still nothing is written."""
    source, out = good
    before = snapshot(out)
    (source / "sections" / "03-members.md").write_text("# ✍️ 成员\n\n名单：\U0001d800\U0001d801。\n", encoding="utf-8")
    code, text = cli("build", source, "--out", out, "--strict")
    assert code == 1, text
    assert "glyph" in text
    assert snapshot(out) == before
    assert not leftovers(out)


# --- a build that is killed ------------------------------------------------------------------


def big_sections(version: str) -> dict[str, str]:
    """Enough to typeset for a few seconds; ``version`` changes every page, so no cache helps."""
    rows = "\n".join(f"| 第{i}项 | 活动经费{version} | {i * 10} |" for i in range(80))
    return {
        f"{n:02d}-part.md": f"# 第{n}部分 {version}\n\n| 项目 | 说明 | 金额 |\n| --- | --- | ---: |\n{rows}\n"
        for n in range(1, 5)
    }


def write_sections(source: Path, sections: dict[str, str]) -> None:
    for name, text in sections.items():
        (source / "sections" / name).write_text(text, encoding="utf-8")


def wait_for(condition, limit: float) -> bool:
    """Poll ``condition`` until it holds or ``limit`` seconds passed."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def writing(out: Path) -> bool:
    return any(p.name.endswith(".tmp") for p in out.iterdir())


@pytest.mark.parametrize("moment", ["after-1s", "while-writing"])
def test_a_killed_build_leaves_each_output_whole(make_source, tmp_path, moment):
    source = make_source(big_sections("一"), extra=ASSETS)
    out = tmp_path / "out"
    env = {"SOURCE_DATE_EPOCH": str(EPOCH)}
    done = run(source, out, env=env)
    assert done.returncode == 0, done.stderr
    before = snapshot(out)
    write_sections(source, big_sections("二"))
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "build", str(source), "--out", str(out)],
        env={**os.environ, **env},
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if moment == "after-1s":
            time.sleep(1.0)
        else:
            assert wait_for(lambda: writing(out), 300), "the build never started writing"
        assert process.poll() is None, "the build finished before it could be killed; make the source bigger"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert wait_for(lambda: not processes_of(source), 10), "the killed build left processes running"
    after_kill = by_unit(snapshot(out))
    done = run(source, out, env=env)  # finishes the job and must clear what the killed build left
    assert done.returncode == 0, done.stderr
    assert not leftovers(out), leftovers(out)
    new = by_unit(snapshot(out))
    old = by_unit(before)
    for unit in UNITS:
        assert after_kill[unit] in (old[unit], new[unit]), f"{unit} is neither the previous nor the new version"
    if moment == "after-1s":
        assert after_kill == old, "a build killed before writing changed an output"


def processes_of(source: Path) -> list[int]:
    """Processes whose command line names ``source`` (a build and the workers it forked)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if str(source).encode() in command:
            found.append(int(entry.name))
    return found


def test_the_next_build_clears_what_a_killed_build_left(good):
    source, out = good
    (out / ".report.pdf.k1ll3d.tmp").write_bytes(b"%PDF-1.7 half")
    (out / ".html.k1ll3d.tmp").mkdir()
    (out / ".html.k1ll3d.tmp" / "index.html").write_text("<p>half", encoding="utf-8")
    (out / "dashboard" / ".index.html.k1ll3d.tmp").write_text("<p>half", encoding="utf-8")
    charts = out / ".cache" / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    (charts / ".k1ll3d.svg.tmp").write_text("<svg", encoding="utf-8")
    code, text = cli("build", source, "--out", out)
    assert code == 0, text
    assert not leftovers(out), leftovers(out)


def test_a_kill_between_the_two_renames_of_the_site_loses_nothing(good):
    """The site is swapped in two renames (old away, new in); killed between them, the
    previous site exists only as ``.html.old``.  The next build, even one that fails, must
    put it back rather than delete it."""
    source, out = good
    before = by_unit(snapshot(out))["html"]
    os.replace(out / "html", out / ".html.old")
    (source / "sections" / "02-finance.md").write_text("---\nstatus: finished\n---\n# 财务\n", encoding="utf-8")
    code, _ = cli("build", source, "--out", out)
    assert code == 1
    assert by_unit(snapshot(out))["html"] == before
    assert not leftovers(out)


# --- reproducible -------------------------------------------------------------------------------


def reproducible_files(out: Path) -> dict[str, bytes]:
    """The PDF, every HTML page and every chart SVG of a build."""
    files = {"report.pdf": (out / "report.pdf").read_bytes()}
    for pattern in ("html/**/*.html", "dashboard/**/*.html", "**/*.svg"):
        files.update({p.relative_to(out).as_posix(): p.read_bytes() for p in out.glob(pattern) if p.is_file()})
    return files


def test_same_source_date_epoch_gives_identical_bytes(make_source, tmp_path):
    source = make_source(SECTIONS, extra=ASSETS)
    env = {"SOURCE_DATE_EPOCH": str(EPOCH)}
    first = run(source, tmp_path / "one", env=env, seed="1")
    assert first.returncode == 0, first.stderr
    os.utime(source / "sections" / "01-intro.md")  # touched, not changed: the bytes must not move
    second = run(source, tmp_path / "two", env=env, seed="2")
    assert second.returncode == 0, second.stderr
    one, two = reproducible_files(tmp_path / "one"), reproducible_files(tmp_path / "two")
    assert any(name.endswith(".svg") for name in one), "no chart SVG to compare"
    assert sorted(one) == sorted(two)
    assert [name for name in one if one[name] != two[name]] == []
    assert pdf_dates(tmp_path / "one" / "report.pdf") == {
        "/CreationDate": "D:20260101000000Z",
        "/ModDate": "D:20260101000000Z",
    }


def pdf_dates(path: Path) -> dict[str, str]:
    metadata = pypdf.PdfReader(path).metadata
    return {key: str(metadata.get(key)) for key in ("/CreationDate", "/ModDate")}


def pdf_date(path: Path) -> datetime.datetime:
    raw = pdf_dates(path)["/CreationDate"]
    match = re.match(r"D:(\d{14})(Z|[+-]\d\d'?\d\d'?)?", raw)
    assert match, raw
    stamp = datetime.datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    offset = match.group(2) or "Z"
    if offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        stamp -= sign * datetime.timedelta(hours=int(offset[1:3]), minutes=int(offset.replace("'", "")[3:5]))
    return stamp.replace(tzinfo=datetime.timezone.utc)


def set_mtimes(source: Path, when: datetime.datetime) -> None:
    stamp = when.timestamp()
    for path in source.rglob("*"):
        os.utime(path, (stamp, stamp))


MARCH = datetime.datetime(2024, 3, 5, 6, 7, 8, tzinfo=datetime.timezone.utc)
APRIL = datetime.datetime(2024, 4, 9, 10, 11, 12, tzinfo=datetime.timezone.utc)


def test_without_source_date_epoch_the_pdf_is_dated_by_the_last_change_of_a_section(make_source, tmp_path):
    source = make_source(SECTIONS, extra=ASSETS)
    set_mtimes(source, MARCH)
    os.utime(source / "sections" / "02-finance.md", (APRIL.timestamp(), APRIL.timestamp()))
    done = run(source, tmp_path / "out", "--format", "pdf", env={})
    assert done.returncode == 0, done.stderr
    assert pdf_date(tmp_path / "out" / "report.pdf") == APRIL


def test_without_source_date_epoch_a_changed_chart_data_file_dates_the_pdf(make_source, tmp_path):
    """The chart in the PDF changes with its data file, so the data file is part of the source's last change."""
    source = make_source(SECTIONS, extra=ASSETS)
    set_mtimes(source, MARCH)
    os.utime(source / "assets" / "money.csv", (APRIL.timestamp(), APRIL.timestamp()))
    done = run(source, tmp_path / "out", "--format", "pdf", env={})
    assert done.returncode == 0, done.stderr
    assert pdf_date(tmp_path / "out" / "report.pdf") == APRIL


# --- the user's files in the output folder ----------------------------------------------------

USER_FILES = {
    "notes.txt": b"my notes",
    ".draft.tmp": b"a file of mine that happens to end in .tmp",
    ".photos.old/1.txt": b"an old folder of mine",
    "sub/.half.svg.tmp": b"mine too",
    "dashboard/mine.txt": b"beside the dashboard",
}
IN_SITE = {"html/CNAME": b"report.example.org", "html/extra/page.txt": b"my page", "html/.keep.tmp": b"x"}


def user_files(out: Path, names) -> dict[str, bytes | None]:
    return {name: (out / name).read_bytes() if (out / name).is_file() else None for name in names}


def put(out: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)


def test_the_users_files_in_the_output_folder_survive_every_build(make_source, tmp_path):
    """--out on a folder that holds files: the build writes its outputs beside them and, in
    later builds, keeps what the user added inside html/ too; it tidies only its own leftovers."""
    source = make_source(SECTIONS, extra=ASSETS)
    out = tmp_path / "shared"
    put(out, USER_FILES)
    code, text = cli("build", source, "--out", out, "--format", "html,dashboard")
    assert code == 0, text
    assert (out / "html" / "index.html").is_file() and (out / "dashboard" / "index.html").is_file()
    put(out, IN_SITE)
    (out / ".html.k1ll3d.tmp").mkdir()  # the build's own leftover, beside the user's
    for _ in range(2):
        (source / "sections" / "03-members.md").write_text(f"# ✍️ 成员\n\n{_}\n", encoding="utf-8")
        code, text = cli("build", source, "--out", out, "--format", "html,dashboard")
        assert code == 0, text
        assert user_files(out, USER_FILES) == USER_FILES
        assert user_files(out, IN_SITE) == IN_SITE
        assert not (out / ".html.k1ll3d.tmp").exists()
    assert f">{1}<" in (out / "html" / "03-members.html").read_text(encoding="utf-8").replace("<p>", ">")


def test_a_page_of_a_removed_section_goes_but_the_users_page_stays(good):
    source, out = good
    put(out, {"html/mine.html": b"<p>mine</p>"})
    manifest = (source / "report.yaml").read_text(encoding="utf-8").replace("- sections/03-members.md\n", "")
    (source / "report.yaml").write_text(manifest, encoding="utf-8")
    (source / "sections" / "03-members.md").unlink()
    code, text = cli("build", source, "--out", out, "--format", "html")
    assert code == 0, text
    assert not (out / "html" / "03-members.html").exists()
    assert (out / "html" / "mine.html").read_bytes() == b"<p>mine</p>"


@pytest.mark.parametrize("theirs", ["report.pdf", "html/index.html", "dashboard/index.html", "dashboard", ".cache/x"])
def test_a_path_the_build_did_not_write_is_never_replaced(make_source, tmp_path, theirs):
    """A file or folder of the user's where an output goes: a clear error, and nothing changed."""
    source = make_source(SECTIONS, extra=ASSETS)
    out = tmp_path / "out"
    put(out, {theirs: b"the user's own"})
    code, text = cli("build", source, "--out", out)
    assert code == 1
    place = theirs.split("/")[0] if theirs != "dashboard/index.html" else theirs
    assert f"{out / place}: error: is in the way of an output and was not written by reportgen" in text
    assert (out / theirs).read_bytes() == b"the user's own"
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert [p for p in made if not p.startswith((".reportgen", ".cache/charts/", ".cache/pdf/"))] == [theirs]


def test_an_output_folder_built_before_the_manifest_existed_is_adopted(good):
    """Folders built by earlier versions hold no manifest: their site, PDF and caches are still the build's."""
    source, out = good
    (out / ".reportgen-manifest.json").unlink()
    code, text = cli("build", source, "--out", out)
    assert code == 0, text
    assert (out / ".reportgen-manifest.json").is_file()


# --- where outputs must never go ---------------------------------------------------------------


@pytest.mark.parametrize("where", ["source", "parent", "root", "home", "another-source"])
def test_outputs_never_go_into_a_source_a_parent_of_it_the_root_or_home(make_source, tmp_path, where):
    source = make_source(SECTIONS, extra=ASSETS)
    other = make_source({"x.md": "# x\n"}, name="other")
    home = tmp_path / "home"
    home.mkdir()
    out = {"source": source, "parent": tmp_path, "root": Path("/"), "home": home, "another-source": other}[where]
    before = sorted(p for p in tmp_path.rglob("*"))
    result = CliRunner(env={"HOME": str(home)}).invoke(
        main, ["build", str(source), "--out", str(out)], catch_exceptions=False
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert re.search(rf"^{re.escape(str(out))}: error: --out (is|holds) ", result.output, re.M), result.output
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_outputs_that_cannot_be_written_are_one_error_not_a_traceback(make_source, tmp_path):
    source = make_source(SECTIONS, extra=ASSETS)
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    code, text = cli("build", source, "--out", tmp_path / "a-file" / "out", "--format", "html")
    assert code == 1
    assert f"{tmp_path / 'a-file' / 'out'}: error: cannot write the outputs: Not a directory" in text
    assert "Traceback" not in text


def test_a_full_disk_while_writing_is_one_error_and_leaves_the_previous_outputs(good, monkeypatch):
    import errno

    from reportgen import output

    source, out = good
    before = snapshot(out)
    (source / "sections" / "03-members.md").write_text("# ✍️ 成员\n\n变了。\n", encoding="utf-8")
    real = output.write_bytes

    def full(path, data):
        if path.name == "report.pdf":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(output, "write_bytes", full)
    code, text = cli("build", source, "--out", out)
    assert code == 1
    assert f"{out / 'report.pdf'}: error: cannot write the outputs: No space left on device" in text
    assert snapshot(out) == before


# --- two builds at once ------------------------------------------------------------------------


def test_a_second_build_into_the_same_folder_waits_for_the_first(make_source, tmp_path):
    import fcntl

    source = make_source(SECTIONS, extra=ASSETS)
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".reportgen.lock", "a+b") as held:
        fcntl.lockf(held, fcntl.LOCK_EX)  # what a running build holds
        process = subprocess.Popen(
            [sys.executable, "-m", "reportgen", "build", str(source), "--out", str(out), "--format", "html"],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = process.stderr.readline()
            assert "waiting for another build into this folder to finish" in line
            # Blocked in the kernel on the file lock (Linux names the wait), with nothing written yet.
            assert wait_for(lambda: "setlk" in Path(f"/proc/{process.pid}/wchan").read_text(), 60), (
                "the second build did not wait"
            )
            assert not (out / "html").exists()
        finally:
            fcntl.lockf(held, fcntl.LOCK_UN)
        _, rest = process.communicate(timeout=300)
    assert process.returncode == 0, rest
    assert (out / "html" / "index.html").is_file()


def test_two_builds_at_once_leave_one_whole_site(make_source, tmp_path):
    source = make_source(SECTIONS, extra=ASSETS)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "reportgen", "build", str(source), "--out", str(out), "--format", "html"]
    processes = [
        subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=300)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], errors
    pages = sorted(p.name for p in (out / "html").glob("*.html"))
    assert pages == ["01-intro.html", "02-finance.html", "03-members.html", "index.html", "search.html"]
    assert not leftovers(out)
