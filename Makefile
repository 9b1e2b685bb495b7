# Xietong: `make demo` runs the platform with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/xietong
export XIETONG_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test venv assets static lint pytest pytest-pg e2e bench-web bench-conference bench-matching bench-enterprise bench-enterprise-index messages clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Pinned dependencies: requirements.lock holds the exact versions.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

venv: $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# Front-end assets come from npm (package-lock.json) and are served locally.
assets: node_modules/.package-lock.json
	mkdir -p xietong/static/vendor/tabler xietong/static/vendor/htmx
	cp node_modules/@tabler/core/dist/css/tabler.min.css xietong/static/vendor/tabler/
	cp node_modules/@tabler/core/dist/js/tabler.min.js xietong/static/vendor/tabler/
	cp node_modules/htmx.org/dist/htmx.min.js xietong/static/vendor/htmx/
	# Source maps are not shipped; drop the references so hashed static files resolve.
	sed -i -E 's@/[*/]# sourceMappingURL=[^ *]*( [*]/)?@@' xietong/static/vendor/*/*.js xietong/static/vendor/*/*.css

static: venv assets
	$(BIN)/xietong collectstatic --noinput -v 0

demo: static
	$(BIN)/xietong migrate --noinput -v 0
	$(BIN)/xietong demo load
	@echo "Xietong is serving on http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/xietong run_huey --quiet & \
	$(BIN)/gunicorn xietong.wsgi:application --bind 127.0.0.1:$(PORT) --workers 3 \
		--timeout 120 --access-logfile - --log-level warning

# Test dependencies: Debian's chromium for the browser tests.
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null; fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

pytest: static
	$(BIN)/pytest -m "not e2e" -q

pytest-pg: static
	XIETONG_DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not e2e" -q

e2e: static /usr/bin/chromium
	$(BIN)/pytest -m e2e -q

test: lint pytest pytest-pg e2e

bench-web: static
	$(BIN)/python bench/web.py

bench-conference: static
	$(BIN)/python bench/conference.py

# Matching engine vs lexical baselines (../shared/bench/matching); synthetic corpora go to
# var/bench/. The 1M baselines take ~15 min and 6 GB: BENCH_MATCHING_ARGS= runs them too.
BENCH_MATCHING_ARGS ?= --skip-baselines-at 1m
bench-matching: venv
	$(BIN)/python bench/matching.py $(BENCH_MATCHING_ARGS)

bench-enterprise: venv
	$(BIN)/python bench/enterprise_import.py

# One-record updates of a pair's matching index at 50,000 enterprises (journal vs full save).
bench-enterprise-index: venv
	$(BIN)/python bench/enterprise_index.py

messages: venv
	cd xietong && ../$(BIN)/xietong makemessages -l zh_Hans --no-obsolete && ../$(BIN)/xietong compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) node_modules xietong/static/vendor var/static
