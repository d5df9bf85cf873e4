# Developer entry points. `make run` serves the API on 127.0.0.1:$PORT (default 8000) with
# demo data; `make test` installs the package as users get it and runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

.PHONY: run test clean

# Create the virtualenv only if missing (upgrading pip once, at creation). A half-made one
# is removed so the next run starts over.
$(BIN)/python:
	@echo "==> creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip || { rm -rf $(VENV); exit 1; }

# $(call pip_install,ARGS): quiet pip install; the whole pip log is printed if it fails.
define pip_install
	@echo "==> pip install $(1)"
	@log=$$($(BIN)/python -m pip install --no-cache-dir --disable-pip-version-check $(1) 2>&1) \
		|| { printf '%s\n' "$$log"; echo "pip install $(1) failed" >&2; exit 1; }
endef

run: $(BIN)/python
	$(call pip_install,-e .)
	$(BIN)/portal db upgrade
	$(BIN)/portal demo --if-empty
	exec $(BIN)/portal serve --host 127.0.0.1 --port $${PORT:-8000}

# A normal (non-editable) install, so a subpackage missing from pyproject's list is caught.
# setuptools builds in ./build and ./*.egg-info: remove them so no stale file gets in.
test: $(BIN)/python
	rm -rf build *.egg-info
	$(call pip_install,'.[test]')
	rm -rf build *.egg-info
	$(BIN)/pytest -q -ra --durations=15

clean:
	rm -rf $(VENV) build *.egg-info portal.db*
