# The two commands of the README: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PORT ?= 8088
PYTEST_ARGS ?=

.PHONY: demo test install browser maven viz-plugins-deps

## Python environment: the add-on, Superset 6.1.0 and the test tools, in .venv.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(INSTALLED)

## Debian's Chromium, for the browser tests (never a browser downloaded by a test tool).
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## Maven and a JDK 17, which fetch and run Kafka and Druid for the pipeline tests.
maven:
	@command -v mvn >/dev/null && test -d /usr/lib/jvm/java-17-openjdk-amd64 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven openjdk-17-jdk-headless; }

## Node packages for building and testing the visualization plugins.
viz-plugins-deps:
	npm --prefix viz-plugins ci --no-audit --no-fund --loglevel=error

demo: $(INSTALLED)
	$(BIN)/superset-divolte demo --port $(PORT)

test: $(INSTALLED) browser maven viz-plugins-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)
