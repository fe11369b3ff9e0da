# payment-sessions: `make demo` and `make test` are all a newcomer needs.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
export AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/
export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: install services node-tools test test-fast lint asyncapi-check schema-check typescript-check demo bench clean

ASYNCAPI_CHECK := contracts/asyncapi-check
SCHEMA_CHECK := contracts/schema-check
TYPESCRIPT := contracts/typescript

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# The node checkers' packages, for the tests that run them (they skip, saying why, where npm is missing).
node-tools:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(ASYNCAPI_CHECK)/node_modules/.package-lock.json \
		$(SCHEMA_CHECK)/node_modules/.package-lock.json $(TYPESCRIPT)/node_modules/.package-lock.json; else echo "npm not found: the node contract checks are skipped"; fi

services:  ## start RabbitMQ (and Redis) here if they are not running
	bash deploy/ensure-services.sh

test: install services node-tools  ## the whole suite, on the real broker
	$(PY) -m pytest

test-fast: install services node-tools  ## everything but the long fault runs
	$(PY) -m pytest -m "not slow"

lint: install asyncapi-check schema-check typescript-check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

asyncapi-check: $(ASYNCAPI_CHECK)/node_modules/.package-lock.json  ## validate contracts/asyncapi.yaml with the official AsyncAPI parser (needs node)
	node $(ASYNCAPI_CHECK)/validate.mjs contracts/asyncapi.yaml

# npm ci only when node_modules is missing or the lock changed (npm writes node_modules/.package-lock.json).
# --ignore-scripts: the parser needs no install scripts (one dependency's postinstall only sends telemetry).
$(ASYNCAPI_CHECK)/node_modules/.package-lock.json: $(ASYNCAPI_CHECK)/package.json $(ASYNCAPI_CHECK)/package-lock.json
	npm ci --prefix $(ASYNCAPI_CHECK) --no-audit --no-fund --ignore-scripts
	touch $@

schema-check: $(SCHEMA_CHECK)/node_modules/.package-lock.json  ## compile contracts/schemas/ with Ajv in strict mode, validate examples and golden payloads (needs node)
	node $(SCHEMA_CHECK)/validate.mjs

$(SCHEMA_CHECK)/node_modules/.package-lock.json: $(SCHEMA_CHECK)/package.json $(SCHEMA_CHECK)/package-lock.json
	npm ci --prefix $(SCHEMA_CHECK) --no-audit --no-fund --ignore-scripts
	touch $@

demo: install services  ## simulator + service, then commands become events before your eyes
	$(PY) deploy/demo.py

bench: install services  ## service vs a plain aio-pika peer doing the same job (~5 min); make bench BENCH_ARGS=--quick (~1 min)
	$(PY) deploy/bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .demo $(ASYNCAPI_CHECK)/node_modules $(SCHEMA_CHECK)/node_modules \
		$(TYPESCRIPT)/node_modules $(TYPESCRIPT)/dist

typescript-check: $(TYPESCRIPT)/node_modules/.package-lock.json  ## the TypeScript consumer generated from the schemas decodes every event example (needs node)
	npm run --silent --prefix $(TYPESCRIPT) build
	npm run --silent --prefix $(TYPESCRIPT) check

$(TYPESCRIPT)/node_modules/.package-lock.json: $(TYPESCRIPT)/package.json $(TYPESCRIPT)/package-lock.json
	npm ci --prefix $(TYPESCRIPT) --no-audit --no-fund --ignore-scripts
	touch $@
