# Dayanışma — `make run` serves the app with demo data; `make test` runs the whole suite. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export DAYANISMA_ENV ?= development

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

# Every file pip installs must match a SHA-256 in requirements*.txt (--require-hashes); `make lock` re-pins them.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

LOCK := .venv-lock
PIP_COMPILE := $(LOCK)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

lock: ## Re-pin requirements*.txt with hashes from requirements*.in (pip-tools in its own venv)
	test -x $(LOCK)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK) && $(LOCK)/bin/pip install --quiet pip-tools==7.6.2; }
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in

sbom: $(VENV)/.installed ## CycloneDX SBOM of the shipped dependencies: sbom.cdx.json
	$(BIN)/python deploy/sbom.py -o sbom.cdx.json

audit: $(VENV)/.installed ## Known vulnerabilities of every pinned package, from the index's JSON API (needs the network)
	$(BIN)/python deploy/audit.py

translations: $(VENV)/.installed ## Compile the Turkish and English catalogues
	$(BIN)/pybabel compile --use-fuzzy -d translations 2>&1 | grep -v "^compiling" || true

PORT ?= 5000

run: $(VENV)/.installed translations ## Set up everything and serve with demo data on http://127.0.0.1:5000 (another port: make run PORT=5001)
	$(FLASK) db upgrade
	$(FLASK) demo seed
	@echo ""
	@echo "Dayanışma is served on http://127.0.0.1:$(PORT)/ (Ctrl+C stops it)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

chromium: ## Install Debian's Chromium for the browser tests (when missing and root)
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi; \
	fi

stack-tools: ## Install Debian's nginx and redis-server for the full-stack test (when missing and root)
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] || ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx redis-server >/dev/null; \
	  else echo "nginx or redis-server is missing: sudo apt-get install nginx redis-server" >&2; exit 1; fi; \
	fi

softhsm: ## Install Debian's SoftHSM2 for the PKCS#11 KEK provider tests (when missing and root)
	@if ! command -v softhsm2-util >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null; \
	  else echo "softhsm2 is missing: sudo apt-get install softhsm2" >&2; exit 1; fi; \
	fi

test: lint translations chromium softhsm stack-tools ## Lint, then the whole suite: SQLite, PostgreSQL, real Chromium, the deploy/ stack
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder -p no:cacheprovider

lint: $(VENV)/.installed-dev ## ruff and mypy
	$(BIN)/ruff check app cases shelters crypto tests bench deploy config.py wsgi.py
	$(BIN)/mypy app crypto cases shelters bench config.py

messages: $(VENV)/.installed-dev ## Extract strings and update the catalogues
	$(BIN)/pybabel extract -F babel.cfg -k _l -w 120 -o translations/messages.pot --ignore-dirs=".* _* *.egg bench-results node_modules" .
	$(BIN)/pybabel update -w 120 -i translations/messages.pot -d translations

bench-tools: ## Install Debian's redis-server and wrk for the P4 load test (when missing and root)
	@if ! command -v wrk >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server wrk >/dev/null; \
	  else echo "redis-server or wrk is missing: sudo apt-get install redis-server wrk" >&2; exit 1; fi; \
	fi

bench: $(VENV)/.installed-dev bench-tools softhsm ## Performance benchmarks (DESIGN.md §7)
	$(BIN)/python bench/run.py

routes: $(VENV)/.installed ## Every URL with its access policy
	$(FLASK) routes-policies

.PHONY: help run test lint messages bench bench-tools routes translations chromium softhsm stack-tools lock sbom audit
