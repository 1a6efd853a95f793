# CNN Lab — two commands for a fresh machine:
#   make run    install what is needed, then start the app in your browser
#   make test   install what is needed, then run every test (unit, app, browser)
# The virtual environment lives outside the clone, keyed by the requirements' hash, so a second run
# reuses it and a change to the requirements builds a new one.

PYTHON ?= python3
REQS_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)
VENV ?= $(HOME)/.cache/cnn-lab/venv-$(REQS_HASH)
BIN := $(VENV)/bin
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup browser node services lint bench screenshots

setup: $(VENV)/.ready

$(VENV)/.ready: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: setup
	$(BIN)/streamlit run serve.py --server.port $(PORT) --browser.gatherUsageStats false

# Browser tests use Debian's chromium when there is one (or apt can install it); elsewhere Playwright's own.
browser: setup
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else $(BIN)/playwright install chromium; fi

# Node runs the browser's arithmetic modules in tests (no npm packages): Debian's nodejs where it is missing.
node:
	@command -v node >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs >/dev/null; }

# The tests start their own Redis and PostgreSQL (each on a free port in a temporary folder, stopped at the
# end: tests/services.py); `make run` needs neither. Debian's packages where the programs are missing.
services:
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
		|| missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

lint: setup
	$(BIN)/ruff check .

# pytest runs everything, the browser's arithmetic under Node included (tests/test_lab_arith.py writes the
# fixtures from cnn.ops and runs `node --test tests/js/`).
test: setup browser node services lint
	$(BIN)/python -m pytest -q

bench: setup browser
	$(BIN)/python bench/instant.py
	$(BIN)/python bench/lab_latency.py
	$(BIN)/python bench/predict_latency.py
	$(BIN)/python bench/start_latency.py

# Refresh the README's screenshots from the browser tests.
screenshots: setup browser
	$(BIN)/python -m pytest -q tests/e2e -k "screenshot or train_a_model or draw_a_one or chinese_reads or click_a_feature"
	cp tests/e2e/artifacts/home-*.png tests/e2e/artifacts/lab-*.png tests/e2e/artifacts/lessons-*.png \
	   tests/e2e/artifacts/learn-*.png tests/e2e/artifacts/train-zh.png assets/screenshots/
	cp tests/e2e/artifacts/train-after-run-en.png assets/screenshots/train-en.png
	cp tests/e2e/artifacts/draw-drawn-en.png assets/screenshots/draw-en.png
	cp tests/e2e/artifacts/draw-drawn-zh.png assets/screenshots/draw-zh.png
	cp tests/e2e/artifacts/inside-clicked-en.png assets/screenshots/inside-en.png
	cp tests/e2e/artifacts/inside-zh.png assets/screenshots/inside-zh.png
