# cofre: one-command set-up. `make demo` and `make test` create the environment themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.local/bin:$(HOME)/.cargo/bin:/usr/local/go/bin:$(PATH)
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python
PYTEST_ARGS ?=

# make mlflow MLFLOW_PORT=5001
MLFLOW_PORT ?= 5000

.PHONY: help env demo dagster mlflow test test-unit test-integration bench stack-up stack-down stack-status lint native-check clean

help:
	@echo "make demo        run the main job end to end on embedded defaults"
	@echo "make dagster     Dagster UI (dagster dev) on http://127.0.0.1:3000 over the cofre code location"
	@echo "make mlflow      MLflow UI (one worker) on http://127.0.0.1:$(MLFLOW_PORT) over COFRE_HOME's store"
	@echo "make test        build everything (Rust included), start the stack, run all tests, stop the stack"
	@echo "make bench       run the benchmarks (ratios against the peers)"
	@echo "make stack-up    start PostgreSQL, FerretDB and SeaweedFS S3 on 127.0.0.1 (var/stack)"
	@echo "make stack-down  stop them;  make stack-status  show them"
	@echo "make lint        ruff"
	@echo "make native-check  Rust gates of native/: cargo fmt --check, clippy -D warnings, cargo test"

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv

env: $(UV)
	@$(UV) sync --frozen -p 3.11

demo: env
	@$(PY) -m cofre.cli demo

dagster: env
	@$(PY) -m cofre.cli dagster dev

mlflow: env
	@$(PY) -m cofre.cli models ui --port $(MLFLOW_PORT)

test: env
	@bash deploy/run-tests.sh $(PYTEST_ARGS)

test-unit: env
	@$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

test-integration: env
	@$(PY) -m pytest -m integration $(PYTEST_ARGS)

bench: env
	@$(PY) -m bench.run

stack-up: env
	@bash deploy/stack.sh up

stack-down:
	@bash deploy/stack.sh down

stack-status:
	@bash deploy/stack.sh status

lint: env
	@.venv/bin/ruff check .

# Rust gates of the native module (CI runs them with the lint targets). The stub/extension drift
# check is a Python test: tests/unit/test_native_api.py.
native-check:
	@cd native && cargo fmt --check
	@cd native && cargo clippy --all-targets --locked -- -D warnings
	@cd native && cargo test --locked

clean:
	@bash deploy/stack.sh down || true
	rm -rf var .venv native/target
