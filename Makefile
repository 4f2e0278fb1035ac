# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench install clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch pinned and installed first so nothing can resolve another (CUDA) build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[test,forecast,yahoo,sweep]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cryptofolio demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -q

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $(VENV)/.bench-installed

bench: $(VENV)/.bench-installed
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
