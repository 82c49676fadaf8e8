# evalkit: two commands do everything.
#   make reproduce   run every notebook on the shipped data (parallel warm-kernel engine)
#   make test        unit tests and nbval on the committed notebooks, in parallel (pytest-xdist)
# Both create .venv from the lock for its Python (exact pins) if it is missing or out of date:
# requirements-py312.lock on Python 3.12 (preferred), requirements.lock on 3.11.
#   make test-all-pythons   `make test` on each supported Python present (3.12, 3.11)

# An interpreter that really runs: pyenv's bare `python3.12` shim fails unless that version is
# selected, so ask pyenv for its prefix first, then try PATH. PREFER picks the version tried first:
# 3.12 (numpy 2), falling back to 3.11 on machines that have only 3.11.
PREFER ?= 3.12
SUPPORTED := 3.12 3.11
runs    = $(shell for p in "$$(pyenv prefix $(1) 2>/dev/null)/bin/python$(1)" "$$(command -v python$(1))"; do \
            "$$p" -c 'import sys' >/dev/null 2>&1 && { "$$p" -c 'import sys; print(sys.executable)'; break; }; done)
OTHER  := $(if $(filter 3.12,$(PREFER)),3.11,3.12)
# Resolved once (`:=`): each `pyenv prefix` costs a few tenths of a second, and a recursive
# variable would rerun it at every use in the install recipe. PYTHON=... on the command line wins.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(or $(call runs,$(PREFER)),$(call runs,$(OTHER)),$(shell command -v python3))
endif
PYVER  := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
# Another venv beside .venv, e.g. `make test PYTHON=... VENV=.venv-py311` (each venv registers its
# own `evalkit` kernel with --sys-prefix, so nbval in it runs that venv's Python).
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := evalkit
# Exact pins per Python: 3.11 (numpy < 2, as balance requires there) and 3.12 (numpy 2).
LOCK   ?= $(if $(filter 3.11,$(PYVER)),requirements.lock,requirements-py312.lock)
# Parallel pytest workers (default: the cores this process may use).
ifeq ($(origin JOBS),undefined)
JOBS   := $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)))' 2>/dev/null || echo 2)
endif
# uv builds the venv in seconds; without it (and if `pip install uv` fails) plain pip is used.
UV_BOOT := build/uv-bootstrap
UV     ?= $(shell command -v uv 2>/dev/null)
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider -n $(JOBS)
# Every test process, kernel and batch worker imports pandas, statsmodels, matplotlib and
# nbconvert. With PYTHONDONTWRITEBYTECODE set (as on the machine this was measured on) each would compile all of
# them from source again, about twice the CPU of importing them from bytecode. Bytecode is
# cached under .venv/pycache instead, outside the source tree, for the commands run from here.
export PYTHONPYCACHEPREFIX := $(abspath $(VENV))/pycache
unexport PYTHONDONTWRITEBYTECODE
NBVAL  := --nbval-lax --nbval-kernel-name $(KERNEL) --nbval-cell-timeout 600

.PHONY: install reproduce test test-all-pythons unit nbval lint lock lock-py312 benchmarks clean-venv

install: $(STAMP)

# The kernel is registered by tools/register_kernel.py: what `python -m ipykernel install
# --sys-prefix` writes, without importing ipykernel (tests/test_environment.py checks they agree).
$(STAMP): $(LOCK) pyproject.toml tools/register_kernel.py
	@echo "Python $(PYVER) ($(PYTHON)), pins from $(LOCK)"
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "evalkit needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PYVER)" ]; then \
	  echo "$(VENV) has another Python than $(PYTHON): rebuilding it"; rm -rf $(VENV); fi
	@uv="$(UV)"; \
	if [ -z "$$uv" ]; then \
	  if [ -x $(UV_BOOT)/bin/uv ] || { $(PYTHON) -m venv $(UV_BOOT) && $(UV_BOOT)/bin/python -m pip install --quiet --disable-pip-version-check uv; } >/dev/null 2>&1; \
	  then uv=$(UV_BOOT)/bin/uv; else echo "uv unavailable: installing with pip (slower)"; fi; \
	fi; \
	if [ -n "$$uv" ]; then \
	  set -e; \
	  $$uv venv --quiet --allow-existing --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')" $(VENV); \
	  $$uv pip sync --quiet --python $(BIN)/python $(LOCK); \
	  $$uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .; \
	  $$uv pip check --quiet --python $(BIN)/python & check=$$!; \
	  $(BIN)/python tools/register_kernel.py --name $(KERNEL) --display-name "Python (evalkit)" >/dev/null; \
	  wait $$check; \
	else \
	  set -e; \
	  test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(LOCK); \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .; \
	  $(BIN)/python -m pip check; \
	  $(BIN)/python tools/register_kernel.py --name $(KERNEL) --display-name "Python (evalkit)" >/dev/null; \
	fi
	@touch $(STAMP)
	@echo "evalkit installed in $(VENV) with Jupyter kernel '$(KERNEL)'"

reproduce: install
	$(BIN)/evalkit reproduce

# Unit tests and notebooks in one parallel run; --dist loadfile keeps each notebook (and each
# test file) on one worker, so a notebook's cells run in order on one kernel.
# --no-loadscope-reorder: files go out in collection order, which conftest.py sorts longest first.
test: install
	$(PYTEST) --dist loadfile --no-loadscope-reorder $(NBVAL) tests notebooks/

unit: install
	$(PYTEST) --dist loadfile --no-loadscope-reorder tests

nbval: install
	$(PYTEST) --dist loadfile --no-loadscope-reorder $(NBVAL) notebooks/

lint: install
	$(BIN)/ruff check evalkit tests benchmarks notebooks

benchmarks: install
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# `make test` on every supported Python this machine has, each in its own venv: the one `make test`
# picks uses $(VENV), any other .venv-pyXY. An absent interpreter is skipped, saying so; the
# target fails if any run fails or if no supported Python is present.
test-all-pythons:
	@ran=0; failed=""; \
	for vp in $(foreach v,$(SUPPORTED),$(v)=$(call runs,$(v))); do \
	  v=$${vp%%=*}; p=$${vp#*=}; \
	  if [ -z "$$p" ]; then echo "== Python $$v: not found on this machine (pyenv prefix $$v, python$$v), skipped"; continue; fi; \
	  if [ "$$v" = "$(PYVER)" ]; then venv="$(VENV)"; else venv=".venv-py$$(echo $$v | tr -d .)"; fi; \
	  echo "== Python $$v ($$p) in $$venv"; ran=$$((ran + 1)); \
	  $(MAKE) --no-print-directory test PYTHON="$$p" VENV="$$venv" || failed="$$failed $$v"; \
	done; \
	if [ $$ran -eq 0 ]; then echo "no supported Python ($(SUPPORTED)) found"; exit 1; fi; \
	if [ -n "$$failed" ]; then echo "== make test failed on Python$$failed"; exit 1; fi; \
	echo "== make test passed on $$ran Python version(s)"

# Left out of both locks: rfc3987-syntax (and lark, which only it needs). jupyter-events asks for
# jsonschema[format-nongpl], whose rfc3987-syntax builds a Lark grammar when jsonschema is imported:
# about 3 CPU-seconds in every process that imports nbformat (papermill, nbval, each batch worker,
# the Jupyter server), for an `iri` format check nothing here uses. Without it jsonschema simply
# does not check that one format (python-jsonschema/jsonschema#1428). tests/test_environment.py
# checks that importing nbformat stays fast this way.
NOT_LOCKED := '^(rfc3987-syntax|lark)=='

# Re-resolve the exact 3.11 pins from pyproject.toml (needs network access to PyPI).
lock:
	@test -n "$(call runs,3.11)" || { echo "make lock needs a working Python 3.11"; exit 1; }
	rm -rf /tmp/evalkit-lock && $(call runs,3.11) -m venv /tmp/evalkit-lock
	/tmp/evalkit-lock/bin/python -m pip install --quiet -e '.[dev]'
	( echo '# Exact versions for `make install` on Python 3.11 (numpy 1.26). Python 3.12 uses requirements-py312.lock. Regenerate with `make lock`.'; \
	  /tmp/evalkit-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' | grep -viE $(NOT_LOCKED) ) > requirements.lock

# The Python 3.12 pins (numpy 2, current scipy and scikit-learn), resolved by uv. setuptools and
# wheel (for the editable install without build isolation) as in requirements.lock unless uv pins them.
lock-py312:
	@test -n "$(UV)" || { echo "make lock-py312 needs uv"; exit 1; }
	@test -n "$(call runs,3.12)" || { echo "make lock-py312 needs a working Python 3.12"; exit 1; }
	( echo '# Exact versions for `make install` on Python 3.12 (numpy 2). Python 3.11 uses requirements.lock. Regenerate with `make lock-py312`.'; \
	  { $(UV) pip compile pyproject.toml --extra dev --python "$(call runs,3.12)" --no-header --no-annotate -q; \
	    grep -E '^(setuptools|wheel)==' requirements.lock; } | grep -viE $(NOT_LOCKED) | awk -F'==' '!seen[tolower($$1)]++' | sort -f \
	) > requirements-py312.lock.tmp && mv requirements-py312.lock.tmp requirements-py312.lock

clean-venv:
	rm -rf $(VENV)

# Same answer on every machine: rerun every notebook under each OpenBLAS kernel this CPU
# supports (from /proc/cpuinfo: Prescott always, SandyBridge with avx, Haswell with avx2,
# SkylakeX with avx512f) and once with one thread; report any checked cell or derived file
# that differs. Writes only to a temporary folder. See docs/reproducibility.md.
.PHONY: cross-cpu
cross-cpu: install
	$(BIN)/python tools/cross_cpu.py --workers $(JOBS)

# ---------------------------------------------------------------------------
# Real-client test: every notebook run in JupyterLab in headless Chromium (the
# system /usr/bin/chromium, installed with apt-get when missing; Playwright from
# the lock drives it, no browser download), then a batch dashboard and
# two reports opened over file:// with no network. Screenshots and results go to
# papermill_runs/browser-<time>/. See tests/browser/run_browser_test.py.
.PHONY: browser-test
browser-test: install
	@$(BIN)/python -c 'import playwright' 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep -i '^playwright==' $(LOCK))"
	$(BIN)/python tests/browser/run_browser_test.py
