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
	@# The benchmark's smoke test loads the server with wrk; as root, install it when missing
	@# (PostgreSQL is installed by the test setup itself, tests/support/postgres_server.py).
	@# Redis likewise, for the shared rate limit and the several-server tests; Chromium for tests/browser/.
	@for tool in wrk redis-server chromium; do command -v $$tool >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& echo "==> apt-get install $$tool" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$tool >/dev/null; } || true; done
	rm -rf build *.egg-info
	$(call pip_install,'.[test]')
	rm -rf build *.egg-info
	$(BIN)/pytest -q -ra --durations=15

clean:
	rm -rf $(VENV) build *.egg-info portal.db*

# The benchmark of issue 7 (bench/run.py): the real server and its ceiling under wrk, with
# demo data of 1,700 and 20,000 factories (cached in bench/.cache). Options through BENCH_ARGS,
# e.g. `make bench BENCH_ARGS="--quick"` or `BENCH_ARGS="--sizes 1700 --postgres"`.
# Installs the package only when it is missing, so a running venv is left as it is.
.PHONY: bench
bench: $(BIN)/python
	@$(BIN)/python -c 'import transparency_portal, httpx, PIL' 2>/dev/null || { \
		echo "==> pip install -e '.[test]'"; \
		$(BIN)/python -m pip install --quiet --no-cache-dir --disable-pip-version-check -e '.[test]'; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)
