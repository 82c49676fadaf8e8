# evalkit: two commands do everything.
#   make reproduce   run every notebook on the shipped data (papermill)
#   make test        unit tests, then nbval on the committed notebooks
# Both create .venv from requirements.lock (exact pins) if it is missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := evalkit

.PHONY: install reproduce test unit nbval lint lock benchmarks clean-venv

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "evalkit needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (evalkit)" >/dev/null
	@touch $(STAMP)
	@echo "evalkit installed in $(VENV) with Jupyter kernel '$(KERNEL)'"

reproduce: install
	$(BIN)/evalkit reproduce

test: install unit nbval

unit: install
	$(BIN)/python -m pytest tests -q

nbval: install
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax --nbval-kernel-name $(KERNEL) \
		--nbval-cell-timeout 600 notebooks/

lint: install
	$(BIN)/ruff check evalkit tests benchmarks notebooks

benchmarks: install
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Re-resolve the exact pins from pyproject.toml (needs network access to PyPI).
lock:
	rm -rf /tmp/evalkit-lock && $(PYTHON) -m venv /tmp/evalkit-lock
	/tmp/evalkit-lock/bin/python -m pip install --quiet -e '.[dev]'
	( echo '# Exact versions for `make install` (Python 3.11/3.12, Linux/macOS). Regenerate with `make lock`.'; \
	  /tmp/evalkit-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' ) > requirements.lock

clean-venv:
	rm -rf $(VENV)

# ---------------------------------------------------------------------------
# Real-client test: every notebook run in JupyterLab in headless Chromium (the
# system /usr/bin/chromium, installed with apt-get when missing; Playwright from
# requirements.lock drives it, no browser download), then a batch dashboard and
# two reports opened over file:// with no network. Screenshots and results go to
# papermill_runs/browser-<time>/. See tests/browser/run_browser_test.py.
.PHONY: browser-test
browser-test: install
	@$(BIN)/python -c 'import playwright' 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep -i '^playwright==' requirements.lock)"
	$(BIN)/python tests/browser/run_browser_test.py
