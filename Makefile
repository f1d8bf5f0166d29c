# The two commands of the quick start are `make run` and `make test`; the rest are their parts.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help setup up down run test unit integration lint topics clean bench

help:
	@echo "make run    set up, start Kafka + Redis + a router worker, publish demo traffic (Ctrl-C stops all)"
	@echo "make test   set up, lint, run the unit and integration tests against a real Kafka and Redis"
	@echo "make setup  virtualenv with the pinned dependencies, Kafka jars, redis-server"
	@echo "make up     start Kafka and Redis (idempotent; returns when both answer)"
	@echo "make down   stop Kafka and Redis"
	@echo "make lint   ruff, and mypy strict on router/"
	@echo "make bench  end-to-end benchmark (one worker vs bare Kafka), writes BENCHMARKS.md (2-12 min)"

setup: $(STAMP)
	@deploy/kafka/fetch.sh
	@deploy/redis/install.sh
	@deploy/prometheus/install.sh

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing Python dependencies into $(VENV) ..."
	@$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

up: setup
	@deploy/up.sh

down:
	@deploy/down.sh

topics: up
	@$(BIN)/router topics create

run: setup
	@deploy/run.sh

# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--items 2000 --rates 100".
bench: setup
	@deploy/up.sh
	@source deploy/env.sh && \
		ROUTER_KAFKA_BOOTSTRAP="$${ROUTER_KAFKA_BOOTSTRAP:-$$KAFKA_HOST:$$KAFKA_PORT}" \
		ROUTER_REDIS_URL="$${ROUTER_REDIS_URL:-redis://$$REDIS_HOST:$$REDIS_PORT/0}" \
		$(BIN)/python -m router.bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check router tests examples deploy $(wildcard benchmarks)
	$(BIN)/mypy router

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

integration: setup
	$(BIN)/pytest tests/integration -v

test: setup lint
	$(BIN)/pytest tests -v -p no:cacheprovider

clean: down
	rm -rf var
