# Jifen: the commands a developer needs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv run demo test fuzz bench openapi lint clean-data

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(STAMP): pyproject.toml
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv || true
	@if command -v uv >/dev/null 2>&1; then \
	  [ -x $(BIN)/python ] || uv venv --quiet --python $(PYTHON) $(VENV); \
	  uv pip install --quiet --python $(BIN)/python -e '.[dev,charts]'; \
	else \
	  [ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/pip install --quiet -e '.[dev,charts]'; \
	fi
	@touch $(STAMP)

venv: $(STAMP) ## create .venv and install Jifen with its development tools and charts

run: $(STAMP) ## start PostgreSQL, the three services and the gateway on :8080 (Ctrl-C stops)
	@scripts/system-packages.sh nginx
	$(BIN)/jifen run

demo: $(STAMP) ## load the sample plant (1,500 employees, a year of training) into `make run`
	$(BIN)/jifen demo

test: $(STAMP) ## type-check, then run the whole test suite (starts its own database, services and nginx)
	@scripts/system-packages.sh nginx docker-compose zsh
	$(BIN)/mypy
	$(BIN)/pytest

fuzz: $(STAMP) ## fuzz the OpenAPI documents through the gateway: 25 examples per operation (FUZZ_SEED=n repeats a run)
	@scripts/system-packages.sh nginx
	@seed=$${FUZZ_SEED:-$$RANDOM$$RANDOM}; echo "fuzz seed $$seed (FUZZ_SEED=$$seed make fuzz repeats it)"; \
	  JIFEN_FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-25} JIFEN_FUZZ_SEED=$$seed \
	  JIFEN_FUZZ_PHASES=examples,coverage,fuzzing,stateful JIFEN_FUZZ_ROLES=hr_admin,employee \
	  JIFEN_FUZZ_TIMING=1 \
	  $(BIN)/pytest tests/test_fuzz.py -p no:cacheprovider

bench: $(STAMP) ## run the benchmarks and print their figures (see docs/benchmarks.md)
	@scripts/system-packages.sh nginx wrk
	$(BIN)/python -m bench

openapi: $(STAMP) ## export openapi/*.json from the code
	$(BIN)/jifen openapi

lint: $(STAMP) ## ruff and the type checker (mypy, configured in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean-data: ## delete the local database and logs under var/ (asks nothing: be sure)
	rm -rf var/
