# salesgxe: every target bootstraps .venv from the pinned lock file first.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: help install replicate original-example test test-fast bench notebooks lock clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "salesgxe needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --only-binary :all: -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned environment

replicate: $(STAMP) ## Reproduce the study's analysis: report in reports/replication/
	$(BIN)/salesgxe replicate --out reports/replication --force --jobs 2 --original data/original_estimates.example.yaml
	$(BIN)/python -m analysis.render.readme_scorecard

test: $(STAMP) ## Run the whole test suite (unit, reference, Monte Carlo, notebooks)
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(STAMP) ## Run the tests not marked slow
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

original-example: $(STAMP) ## Rebuild data/original_estimates.example.yaml from the config's assumed effects (an EXAMPLE, not the article)
	$(BIN)/python -c "from analysis.study.replication_metrics import write_example; print(write_example())"

bench: $(STAMP) ## Benchmarks (JSON lines): batched OLS vs statsmodels; validate + analyze on 1,000,000 respondents
	$(BIN)/python -m analysis.bench

notebooks: $(STAMP) ## Open Jupyter on notebooks/ with the project's kernel
	$(BIN)/python -m ipykernel install --user --name salesgxe --display-name "Python (salesgxe)"
	$(BIN)/jupyter lab notebooks/

lock: ## Re-resolve requirements.lock (hashed, pip-tools) from pyproject.toml (needs network)
	rm -rf /tmp/salesgxe-lock && $(PYTHON) -m venv /tmp/salesgxe-lock
	/tmp/salesgxe-lock/bin/pip install --quiet "pip-tools==7.6.2"
	/tmp/salesgxe-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-index-url --no-emit-find-links --extra dask --extra dev \
	    --output-file requirements.lock pyproject.toml

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .hypothesis
