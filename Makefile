# AgentKit — one Rust core, a gateway, and Python + Node SDKs.
#   make demo   build everything and run the quickstart (Python and Node) against `agentkit dev`
#   make test   every suite: cargo test (Rust scenarios), MCP conformance, official-SDK parity, pytest, node --test (scenarios on SQLite and PostgreSQL)
#   make dist   every release artifact buildable here into dist/ (native + zig cross builds; dist-check: install + run the native ones)
#   make bench  benchmarks (figures and ratios, no pass/fail)
#   make lint   lint-fast (cargo fmt --check, ruff, import order, workflow), clippy -D warnings, ESLint, the stub check
#   make image  the OCI image (deploy/Containerfile) as localhost/agentkit:latest, checked

SHELL := /bin/bash
VENV := .venv
# MCP 2026-07-28 clients need mcp 2.x, which the framework adapters in .venv do not allow yet.
VENV_MCP2026 := .venv-mcp2026
VENV_LINT := .venv-lint
PY := $(VENV)/bin/python
NAPI := node_modules/.bin/napi
AGENTKIT_BIN := target/debug/agentkit
export AGENTKIT_BIN

.PHONY: profile demo test lint lint-fast dist dist-native dist-check image bench build build-server build-python build-node clean

build: build-server build-python build-node

$(VENV)/.ready: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/python scripts/dev_requirements.py > $(VENV)/dev-requirements.txt
	$(VENV)/bin/pip install --quiet -r $(VENV)/dev-requirements.txt
	touch $@

$(VENV_MCP2026)/.ready: pyproject.toml $(VENV)/.ready
	python3 -m venv $(VENV_MCP2026)
	$(VENV_MCP2026)/bin/pip install --quiet --upgrade pip
	$(PY) scripts/dev_requirements.py mcp2026 > $(VENV_MCP2026)/requirements.txt
	$(VENV_MCP2026)/bin/pip install --quiet -r $(VENV_MCP2026)/requirements.txt
	touch $@

node_modules/.ready: package.json bindings-node/package.json
	npm install --no-audit --no-fund
	touch $@

build-server:
	cargo build -p agentkit-server

$(VENV_LINT)/.ready: pyproject.toml
	python3 -m venv $(VENV_LINT)
	python3 scripts/dev_requirements.py lint > $(VENV_LINT)/requirements.txt
	$(VENV_LINT)/bin/pip install --quiet -r $(VENV_LINT)/requirements.txt
	touch $@

build-python: $(VENV)/.ready $(VENV_MCP2026)/.ready
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --quiet
	VIRTUAL_ENV=$(abspath $(VENV_MCP2026)) $(VENV)/bin/maturin develop --quiet

build-node: node_modules/.ready
	cd bindings-node && ../$(NAPI) build --platform --js native.js --dts native.d.ts

demo: build
	@echo "=== Python quickstart against agentkit dev ==="
	scripts/with-dev-gateway.sh $(PY) scripts/demo_driver.py $(PY) examples/python/quickstart.py
	@echo
	@echo "=== Node quickstart against agentkit dev ==="
	scripts/with-dev-gateway.sh $(PY) scripts/demo_driver.py node examples/node/quickstart.mjs

test: build
	cargo test --workspace
	scripts/mcp-conformance.sh
	# Drop-in parity with the official SDKs (installed from the registries at the pinned versions).
	$(PY) scripts/sdk_parity.py --strict
	node scripts/sdk_parity.mjs --strict
	$(PY) -m pytest -q tests/python
	$(VENV_MCP2026)/bin/python -m pytest -q -c pyproject.toml tests/python_mcp2026
	node --test tests/node/
	# The shared scenarios again from Python and Node, every gateway's store on PostgreSQL.
	scripts/with-postgres.sh $(PY) -m pytest -q tests/python/test_scenarios.py
	scripts/with-postgres.sh node --test tests/node/scenarios.test.mjs

# The checks that need no build and no project environment, in seconds: formatting, ruff, the
# module import order, the release workflow. First in CI, so a slip fails in a minute.
lint-fast: $(VENV_LINT)/.ready
	cargo fmt --all --check
	$(VENV_LINT)/bin/ruff check bindings-python/python tests/python tests/python_mcp2026 examples/python scripts benches
	python3 scripts/module_cycles.py
	# The layer order of ARCHITECTURE.md (imports still against it are listed in scripts/module_layers.baseline).
	python3 scripts/module_layers.py
	# The release workflow (macOS and Windows artifacts are built on GitHub's runners only).
	$(VENV_LINT)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV_LINT)/bin/zizmor --offline --quiet .github/workflows

# lint-fast, then clippy (warnings are errors), ESLint, the gateway without the sandbox, and the .pyi
# stubs against the native module.
lint: lint-fast build-python node_modules/.ready
	cargo clippy --workspace --all-targets -- -D warnings
	# Every JavaScript file: ESLint's recommended rules (eslint.config.mjs).
	node_modules/.bin/eslint .
	# A gateway without the sandbox builds, and then does not link it at all.
	cargo check -p agentkit-server --no-default-features --bin agentkit
	! cargo tree -p agentkit-server --no-default-features -e normal | grep -q agentkit-sandbox
	$(PY) -m pytest -q tests/python/test_packaging.py -k stub

# Every release artifact this machine can build, stripped, into dist/: the native ones below,
# then wheels, Node addons and static gateway binaries for linux x86_64 and aarch64, glibc and
# musl (cross-built with zig), SHA256SUMS and an SBOM; each artifact's architecture is checked.
dist: dist-native
	scripts/dist-cross.sh

# This machine's own artifacts: the abi3 wheel, the Node SDK and its linux-x64-gnu addon package.
dist-native: $(VENV)/.ready node_modules/.ready
	rm -rf dist && mkdir -p dist
	$(VENV)/bin/maturin build --release --out dist
	cd bindings-node && ../$(NAPI) build --platform --release --js native.js --dts native.d.ts
	scripts/pack-node.sh
	@ls -l dist

# The native artifacts installed as the README says (pip; npm's alias from a registry serving
# dist/), in a clean venv / folder, run the documented calls; a mixed install is refused.
dist-check: dist-native build-server
	scripts/check-dist.sh

image:
	scripts/build-image.sh

bench: build
	cargo build --release -p agentkit-server
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --release --quiet
	AGENTKIT_BIN=target/release/agentkit $(PY) benches/bench_gateway.py
	AGENTKIT_BIN=target/release/agentkit $(PY) benches/bench_memory.py
	AGENTKIT_BIN=target/release/agentkit $(PY) benches/bench_write_volume.py
	AGENTKIT_BIN=target/release/agentkit $(PY) benches/bench_data_scale.py
	AGENTKIT_BIN=target/release/agentkit $(PY) benches/bench_openapi_import.py
	AGENTKIT_BIN=target/release/agentkit scripts/with-postgres.sh $(PY) benches/bench_replicas.py
	AGENTKIT_BIN=target/release/agentkit scripts/with-dev-gateway.sh $(PY) benches/bench_execute_tool.py
	AGENTKIT_BIN=target/release/agentkit scripts/with-dev-gateway.sh $(PY) benches/bench_triggers.py
	cargo bench -p agentkit-server --bench catalog_search
	$(PY) benches/bench_sdk_footprint.py
	node benches/bench_node_require.mjs

# Where the time goes on the hot paths: `perf` call graphs of /proxy, execute_tool and MCP at 64
# callers, with the release build's optimisation and its symbols kept (profile `profiling`).
profile: build
	cargo build --profile profiling -p agentkit-server --bin agentkit
	AGENTKIT_BIN=target/profiling/agentkit $(PY) benches/profile_gateway.py

clean:
	rm -rf target dist $(VENV) node_modules bindings-node/*.node bindings-node/native.js bindings-node/native.d.ts
