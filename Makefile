# The two commands of the README, on a fresh machine: `make demo` and `make test`.
# Each creates its own virtual environment (.venv) from pyproject.toml on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean system-packages

# Debian packages the tests use, installed when missing (as root, as CI runs): faketime runs the
# CLI at another date (the year-end tests); chromium is the browser Playwright drives (a test
# tool's own browser download cannot work here), with fonts-noto-cjk so that pages show Chinese
# and PDFs embed a CJK font; poppler-utils (pdftotext, pdftoppm) reads the PDFs back in tests;
# nginx-light (nginx -t) and systemd (systemd-analyze verify) check deploy/'s proxy and units.
DEBIAN_PACKAGES := faketime chromium fonts-noto-cjk poppler-utils nginx-light systemd

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ssj demo --serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

system-packages:
	@for package in $(DEBIAN_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || apt-get install -y -q $$package >/dev/null \
		|| { apt-get update -q >/dev/null && apt-get install -y -q $$package >/dev/null; } \
		|| { echo "make test: the Debian package $$package is needed (apt-get install $$package, as root)"; exit 1; }; \
	done

test: lint system-packages
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/draw.py
	$(BIN)/python bench/caps.py
	$(BIN)/python bench/scale.py --events 1000000 --store sqlite --keep $(VENV)/bench-scale
	command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }; $(BIN)/python bench/http.py --keep $(VENV)/bench-http

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
