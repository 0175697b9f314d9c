# cofre: one-command set-up. `make demo` and `make test` create the environment themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.local/bin:$(HOME)/.cargo/bin:/usr/local/go/bin:$(PATH)
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: help env demo dagster test test-unit test-component test-stack bench stack-up stack-down stack-status \
	lint lint-python native-check clean

help:
	@echo "make demo        run the main job end to end on embedded defaults"
	@echo "make dagster     Dagster UI (dagster dev) on http://127.0.0.1:3000 over the cofre code location"
	@echo "make test        build everything (Rust included), start the stack, run all tests, stop the stack"
	@echo "make test-unit   the fast loop: tests/unit (pure, in-process; no server, no Dagster run, no training)"
	@echo "make test-component  tests/component (Dagster runs, training, CLI subprocesses, crash tests)"
	@echo "make test-stack  tests/stack against a running stack (make stack-up first)"
	@echo "make bench       run the benchmarks (ratios against the peers)"
	@echo "make stack-up    start PostgreSQL, FerretDB and SeaweedFS S3 on 127.0.0.1 (var/stack)"
	@echo "make stack-down  stop them;  make stack-status  show them"
	@echo "make lint        the gates: ruff check, ruff format --check, mypy, import contracts, native-check"
	@echo "make native-check  Rust gates of native/: cargo fmt --check, clippy -D warnings, cargo test"

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv

env: $(UV)
	@$(UV) sync --frozen -p 3.11

demo: env
	@$(PY) -m cofre.cli demo

dagster: env
	@$(PY) -m cofre.cli dagster dev

test: env
	@bash deploy/run-tests.sh $(PYTEST_ARGS)

test-unit: env
	@$(PY) -m pytest -p no:cacheprovider tests/unit $(PYTEST_ARGS)

test-component: env
	@$(PY) -m pytest -p no:cacheprovider -n "$${COFRE_TEST_WORKERS:-2}" --dist loadfile tests/component $(PYTEST_ARGS)

test-stack: env
	@$(PY) -m pytest -p no:cacheprovider tests/stack $(PYTEST_ARGS)

bench: env
	@$(PY) -m bench.run

stack-up: env
	@bash deploy/stack.sh up

stack-down:
	@bash deploy/stack.sh down

stack-status:
	@bash deploy/stack.sh status

lint: lint-python native-check

lint-python: env
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/mypy
	@.venv/bin/lint-imports

# Rust gates of the native module (CI runs them with the lint targets). The stub/extension drift
# check is a Python test: tests/unit/test_native_api.py.
native-check:
	@cd native && cargo fmt --check
	@cd native && cargo clippy --all-targets --locked -- -D warnings
	@cd native && cargo test --locked

clean:
	@bash deploy/stack.sh down || true
	rm -rf var .venv native/target
