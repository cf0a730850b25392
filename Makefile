# The two commands of the README: `make demo` and `make test`.
# Each creates .venv when missing and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# CPU build by default; GPU users: see README "Installing torch for a GPU".
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.alpacaspot-installed

.PHONY: demo test test-fast lint bench clean-venv

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev]" jupytext
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/run_pipeline.py --out demo_run

test: $(STAMP)
	bash tests/cluster/with_slurm.sh $(PY) -m pytest -q -p no:cacheprovider --durations=15 tests --doctest-modules alpacaspot

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not slurm"

lint: $(STAMP)
	$(PY) -m ruff check alpacaspot tests benchmarks examples

bench: $(STAMP)
	$(PY) benchmarks/bench_spectrogram.py
	$(PY) benchmarks/bench_matching.py
	$(PY) benchmarks/bench_detect.py

clean-venv:
	rm -rf $(VENV)
