# AgentKit — one Rust core, a gateway, and Python + Node SDKs.
#   make demo   build everything and run the quickstart (Python and Node) against `agentkit dev`
#   make test   every suite: cargo test (Rust scenarios), MCP conformance, pytest, node --test
#   make dist   release artifacts in dist/: the abi3 wheel and the npm tarball (dist-check: install + run them)
#   make bench  benchmarks (figures and ratios, no pass/fail)

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
NAPI := node_modules/.bin/napi
PY_DEPS := maturin==1.16.0 pytest==9.* pytest-asyncio==1.* protobuf requests httpx mcp==1.30.0 langchain-mcp-adapters==0.3.2 google-adk==2.13.0 anthropic==2.13.0 openai==3.57.0 langchain-openai==1.7.4
AGENTKIT_BIN := target/debug/agentkit
export AGENTKIT_BIN

.PHONY: demo test dist dist-check bench build build-server build-python build-node clean

build: build-server build-python build-node

$(VENV)/.ready:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet $(PY_DEPS)
	touch $@

node_modules/.ready: package.json bindings-node/package.json
	npm install --no-audit --no-fund
	touch $@

build-server:
	cargo build -p agentkit-server

build-python: $(VENV)/.ready
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --quiet

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
	$(PY) -m pytest -q tests/python
	node --test tests/node/

dist: $(VENV)/.ready node_modules/.ready
	rm -rf dist && mkdir -p dist
	$(VENV)/bin/maturin build --release --out dist
	cd bindings-node && ../$(NAPI) build --platform --release --js native.js --dts native.d.ts
	cd bindings-node && npm pack --pack-destination ../dist
	@ls -l dist

# The wheel and tarball from dist/, installed in a clean venv / folder, run the documented calls.
dist-check: dist build-server
	scripts/check-dist.sh

bench: build
	cargo build --release -p agentkit-server
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --release --quiet
	AGENTKIT_BIN=target/release/agentkit scripts/with-dev-gateway.sh $(PY) benches/bench_execute_tool.py
	cargo bench -p agentkit-server --bench catalog_search

clean:
	rm -rf target dist $(VENV) node_modules bindings-node/*.node bindings-node/native.js bindings-node/native.d.ts
