# cofre: one-command set-up. `make demo` and `make test` create the environment themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.local/bin:$(HOME)/.cargo/bin:/usr/local/go/bin:$(PATH)
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python
PYTEST_ARGS ?=

# make mlflow MLFLOW_PORT=5001;  make dagster PORT=3001 (or DAGSTER_PORT=3001)
MLFLOW_PORT ?= 5000
DAGSTER_PORT ?= $(or $(PORT),3000)

.PHONY: help env demo dagster mlflow test test-unit test-component test-stack test-app app app-web bench \
	stack-up stack-down stack-status lint lint-python lint-ops native-check contracts-test contracts-check contracts-wasm security clean

help:
	@echo "make demo        run the main job end to end on embedded defaults"
	@echo "make dagster     Dagster UI (dagster dev) on http://127.0.0.1:$(DAGSTER_PORT) over the cofre code location (PORT=...)"
	@echo "make mlflow      MLflow UI (one worker) on http://127.0.0.1:$(MLFLOW_PORT) over COFRE_HOME's store"
	@echo "make test        build everything (Rust included), start the stack, run all tests, stop the stack"
	@echo "make test-unit   the fast loop: tests/unit (pure, in-process; no server, no Dagster run, no training)"
	@echo "make test-component  tests/component (Dagster runs, training, CLI subprocesses, crash tests)"
	@echo "make test-stack  tests/stack against a running stack (make stack-up first)"
	@echo "make bench       run the benchmarks (ratios against the peers)"
	@echo "make stack-up    start PostgreSQL, FerretDB, SeaweedFS S3, Prometheus, Alertmanager on 127.0.0.1 (var/stack)"
	@echo "make stack-down  stop them;  make stack-status  show them"
	@echo "make lint        the gates: ruff check, ruff format --check, mypy, import contracts, actionlint,"
	@echo "                 helm lint, native-check"
	@echo "make security    bandit, pip-audit of uv.lock, secrets scan (deploy/security.sh)"
	@echo "make native-check  Rust gates of native/ and native/contracts/: cargo fmt --check, clippy -D warnings, cargo test"
	@echo "make contracts-test  Soroban contracts: one build that lints (clippy -D warnings), runs the native tests, builds the RPC sandbox"
	@echo "make contracts-wasm  deployable .wasm of the contracts (needs the wasm32v1-none target)"
	@echo "make app         the mobile app's Expo dev server (Expo Go on a phone; see README \"App\")"
	@echo "make app-web     the app's web export on http://127.0.0.1:8081 (API proxied to COFRE_GATEWAY_URL)"
	@echo "make test-app    the app's tests: npm ci, jest, web export, browser e2e on a real gateway"

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv

env: $(UV)
	@$(UV) sync --frozen -q -p 3.11

demo: env
	@$(PY) -m cofre.cli demo

dagster: env
	@$(PY) -m cofre.cli dagster dev --port $(DAGSTER_PORT)

mlflow: env
	@$(PY) -m cofre.cli models ui --port $(MLFLOW_PORT)

test: env
	@bash deploy/run-tests.sh $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-app

test-unit: env
	@$(PY) -m pytest -p no:cacheprovider -n "$${COFRE_TEST_WORKERS:-2}" --dist loadfile tests/unit $(PYTEST_ARGS)

test-component: env
	@$(PY) -m pytest -p no:cacheprovider -n "$${COFRE_TEST_WORKERS:-2}" --dist loadfile tests/component $(PYTEST_ARGS)

test-stack: env
	@$(PY) -m pytest -p no:cacheprovider tests/stack $(PYTEST_ARGS)

test-app: env
	@bash deploy/app-tests.sh

mobile/node_modules/.package-lock.json: mobile/package-lock.json
	@cd mobile && npm ci --no-audit --no-fund --loglevel=error

app: mobile/node_modules/.package-lock.json
	@cd mobile && npx expo start

app-web: mobile/node_modules/.package-lock.json
	@cd mobile && EXPO_NO_TELEMETRY=1 npx expo export --platform web --output-dir dist >/dev/null && \
		node scripts/serve-web.mjs --port $${PORT:-8081} --gateway $${COFRE_GATEWAY_URL:-http://127.0.0.1:8000}

bench: env
	@$(PY) -m bench.run

stack-up: env
	@bash deploy/stack.sh up

stack-down:
	@bash deploy/stack.sh down

stack-status:
	@bash deploy/stack.sh status

lint: lint-python lint-ops native-check

lint-python: env
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/mypy
	@.venv/bin/lint-imports

lint-ops:
	@bash deploy/lint-ops.sh  # actionlint + helm lint (operations)

security: env
	@UV=$(UV) bash deploy/security.sh

# Rust gates of the native module (CI runs them with the lint targets). The stub/extension drift
# check is a Python test: tests/unit/test_native_api.py.
# clippy and the Rust tests run on the release profile so they reuse the dependencies maturin built for
# `make env` (native/target/release: arrow, curve25519, sonic-rs... at opt-level 3): only pyo3, numpy and
# the crate itself are compiled again (pyo3 without the extension-module feature). The crate under test
# keeps what tests need: debug assertions and overflow checks on, opt-level 1, many codegen units (the
# per-package overrides touch no dependency, so they rebuild nothing maturin built).
NATIVE_PROFILE := --release --locked \
	--config 'profile.release.package.cofre_native.debug-assertions=true' \
	--config 'profile.release.package.cofre_native.overflow-checks=true' \
	--config 'profile.release.package.cofre_native.opt-level=1' \
	--config 'profile.release.package.cofre_native.codegen-units=16'
native-check: env contracts-check
	@cd native && cargo fmt --check
	@cd native && cargo clippy --all-targets $(NATIVE_PROFILE) -- -D warnings
	@cd native && cargo test $(NATIVE_PROFILE)

# Soroban contracts (own Cargo workspace). One compilation serves every gate: clippy-driver is the
# workspace members' compiler during `cargo test` (RUSTC_WORKSPACE_WRAPPER + CLIPPY_ARGS, the set-up
# `cargo clippy` makes), so the lints (-D warnings, all targets: libs, tests, the sandbox binary), the
# native tests and the sandbox binary that tests/integration/test_contracts_soroban.py starts share one
# build of the ~160 dependencies, instead of `cargo clippy`'s second, check-only pass over all of them.
# Cold cost on 2 cores (user+sys CPU-s): dependencies at opt-level 0 (Cargo.toml) 226 build + 4 binary
# + 4 test run, vs 516 + 67 clippy at opt-level 1 and ~690 at the former opt-level 2.
CONTRACTS := native/contracts
CONTRACTS_CARGO := cd $(CONTRACTS) && CARGO_INCREMENTAL=0 RUSTC_WORKSPACE_WRAPPER=clippy-driver \
	CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__ cargo
contracts-test:
	@$(CONTRACTS_CARGO) test --locked --workspace
	@$(CONTRACTS_CARGO) build --locked -p soroban_rpc_sandbox --bin soroban-rpc-sandbox

contracts-check:
	@cd $(CONTRACTS) && cargo fmt --all --check
	@$(MAKE) --no-print-directory contracts-test

# The deployable contracts need the wasm32v1-none target (rustup target add wasm32v1-none), which
# this machine cannot install: the target refuses to fake an artefact when it is missing.
contracts-wasm:
	@rustup target list --installed 2>/dev/null | grep -qx wasm32v1-none || { \
	  echo "contracts-wasm: the wasm32v1-none target is not installed (rustup target add wasm32v1-none)"; exit 1; }
	@cd $(CONTRACTS) && cargo build --locked --release --target wasm32v1-none -p escrow -p audit_anchor
	@ls -l $(CONTRACTS)/target/wasm32v1-none/release/*.wasm

clean:
	@bash deploy/stack.sh down || true
	rm -rf var .venv native/target
