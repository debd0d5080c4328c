"""The search index of the HTML edition, made by Pagefind.

Pagefind reads the finished pages of the staged site and writes its index,
its scripts and its WebAssembly into the site's ``pagefind/`` folder, so
search runs in the reader's browser with nothing fetched from another host.
Only what a page marks ``data-pagefind-body`` (the section text) is indexed.

The extended build of Pagefind (PyPI ``pagefind-bin-extended``) segments
Chinese and Japanese into words; the plain build indexes a run of Han
characters as one word, so a two-character query would find nothing.  A
site without a search index still works, so problems here are warnings.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from reportgen.errors import Diagnostics

#: Draft-only bits inside the indexed text: status badges, owner chips and due
#: dates, notes about missing text.  A search must not find them.
IGNORED = (".badge", ".unit-meta", ".draft-banner", ".pending", ".placeholder", ".untranslated")

#: Output folder of the index, relative to the site root; site.js loads it from there.
BUNDLE = "pagefind"

#: Seconds Pagefind may take; it needs about one for a report of a few hundred pages.
TIMEOUT = 300


def index_site(site: Path, language: str, diags: Diagnostics, place: str) -> bool:
    """Index the pages in ``site`` into ``site/pagefind``; True when the index was written.

    ``place`` names the site in diagnostics.
    """
    binary, extended = pagefind_binary()
    if binary is None:
        diags.warning(place, None, "search index not built: the Pagefind binary is missing "
                      "(pip install 'pagefind[extended]'); the site has no search")
        return False
    if not extended and language.lower().startswith(("zh", "ja")):
        diags.warning(place, None, "Pagefind without its extended build cannot split Chinese or Japanese into "
                      "words, so search will miss most queries (pip install 'pagefind[extended]')")
    try:
        # Run in the staged site, which holds only generated files at its top: Pagefind reads a
        # pagefind.yml/.toml/.json from its working folder, and the user's may be a report source.
        done = subprocess.run(_command(binary, site.resolve()), cwd=site, capture_output=True, text=True,
                              timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        diags.warning(place, None, f"search index not built: Pagefind did not run ({error})")
        return False
    if done.returncode != 0 or not (site / BUNDLE / "pagefind.js").is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()
        diags.warning(place, None, "search index not built: Pagefind failed"
                      + (f": {detail[-1]}" if detail else f" with exit status {done.returncode}"))
        return False
    return True


def pagefind_binary() -> tuple[Path | None, bool]:
    """The Pagefind executable and whether it is the extended build (which segments CJK)."""
    try:
        from pagefind_bin_extended import get_executable as extended
    except ImportError:
        pass
    else:
        try:
            return extended(), True
        except FileNotFoundError:
            pass
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None, False
    binary = get_executable()
    return (binary, "extended" in binary.name) if binary is not None else (None, False)


def _dies_with_us() -> list[str]:
    """A prefix that makes Pagefind die if the build is killed: left running, it would
    write its index into a staged site the next build has already tidied away.
    (util-linux's setpriv sets the kernel's parent-death signal; a preexec_fn would
    do the same but is unsafe while the PDF workers' manager thread runs.)"""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def _command(binary: Path, site: Path) -> list[str]:
    return [
        *_dies_with_us(),
        str(binary),
        "--site", str(site),
        "--output-subdir", BUNDLE,
        # One CSS selector list: any element matching one of them is left out.
        "--exclude-selectors", ", ".join(IGNORED),
        # Result links name the page file, so they also work where no server maps / to index.html.
        "--keep-index-url",
        "--quiet",
    ]
