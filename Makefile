# reportgen — `make report` builds the sample report, `make test` runs the tests.
# Both set everything up on a fresh Debian machine: system fonts and libraries
# (with apt-get, when root and missing), a virtual environment in .venv, the package.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= build

.PHONY: report pdf html dashboard public test golden bench check status serve clean system-deps

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

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Rewrite the golden pages and Markdown fixture cases from the current code; review the diff.
golden: $(STAMP)
	$(BIN)/python -m tests.golden

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis

# The virtual environment is rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Fonts for Chinese and the status emoji, HarfBuzz's subsetter (font subsetting is
# ~30x slower without it), poppler for page previews, Chromium for the browser tests.
SYSTEM_PACKAGES := fonts-noto-cjk fonts-noto-color-emoji libharfbuzz-subset0 poppler-utils chromium

system-deps:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then SUDO=""; \
	elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then SUDO=sudo; \
	else echo "warning: missing system packages:$$missing (Debian: apt-get install$$missing)" >&2; exit 0; fi; \
	echo "installing system packages:$$missing"; \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null
