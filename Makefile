# reportgen — `make report` builds the sample report, `make test` runs the tests.
# Both set everything up on a fresh Debian machine: system fonts and libraries
# (with apt-get, when root and missing), a virtual environment in .venv, the package.
# `make report` installs only what building needs; the test tools (pytest,
# Playwright, …) and the browser come with the first `make test`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTS  := $(VENV)/.installed-test
OUT    ?= build
# uv installs the same packages from the same index in a fraction of pip's time;
# pip is the fallback where uv cannot be installed.  Both compile the installed
# modules to bytecode (uv only when asked): where PYTHONDONTWRITEBYTECODE is set,
# as in many container images, every command would otherwise compile WeasyPrint,
# matplotlib and the rest from source, ~1.5 s each time.
UV     := $(BIN)/uv
INSTALL = if [ -x $(UV) ]; then $(UV) pip install --quiet --compile-bytecode --python $(BIN)/python $(1); \
          else $(BIN)/python -m pip install --quiet $(1); fi
# make bench QUICK=1: 1× only, one round; make bench FULL=1: also 50×.
BENCH_ARGS := $(if $(QUICK),--quick) $(if $(FULL),--full)

.PHONY: report pdf html dashboard public test golden bench check status serve clean system-deps test-system-deps

report: $(STAMP)
	$(BIN)/reportgen build . --out $(OUT)

pdf: $(STAMP)
	$(BIN)/reportgen build . --out $(OUT) --format pdf

html: $(STAMP)
	$(BIN)/reportgen build . --out $(OUT) --format html

dashboard: $(STAMP)
	$(BIN)/reportgen build . --out $(OUT) --format dashboard

public: $(STAMP)
	$(BIN)/reportgen build . --out $(OUT)/public --edition public --format pdf,html

check: $(STAMP)
	$(BIN)/reportgen check .

status: $(STAMP)
	$(BIN)/reportgen status .

serve: $(STAMP)
	$(BIN)/reportgen serve .

test: $(TESTS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

# Rewrite the golden pages and Markdown fixture cases from the current code; review the diff.
golden: $(TESTS)
	$(BIN)/python -m tests.golden

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis

# The virtual environment is brought up to date when pyproject.toml changes.
$(STAMP): pyproject.toml | system-deps
	@echo "setting up $(VENV): reportgen and the packages building needs"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv || echo "uv not available; installing with pip"
	$(call INSTALL,-e .)
	touch $@

$(TESTS): $(STAMP) | test-system-deps
	@echo "setting up the test tools: pytest, hypothesis, Playwright, pdfplumber, pypdfium2"
	$(call INSTALL,-e '.[test]')
	touch $@

# Fonts for Chinese and the status emoji, HarfBuzz's subsetter (font subsetting is
# ~30x slower without it): what building needs.  Poppler (page previews) and
# Chromium (the browser tests) only for the tests.
SYSTEM_PACKAGES := fonts-noto-cjk fonts-noto-color-emoji libharfbuzz-subset0
TEST_SYSTEM_PACKAGES := poppler-utils chromium

system-deps:
	@$(call APT,$(SYSTEM_PACKAGES))

test-system-deps:
	@$(call APT,$(TEST_SYSTEM_PACKAGES))

# Install the Debian packages $(1) that are missing (with apt-get, as root or with sudo).
APT = missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then SUDO=""; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then SUDO=sudo; \
	else echo "warning: missing system packages:$$missing (Debian: apt-get install$$missing)" >&2; exit 0; fi; \
	echo "installing system packages:$$missing"; \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null
