# Morrow — the commands of the README.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 0.0.0.0
PORT ?= 5000

.PHONY: run test test-fast bench profile-capture venv dev-venv node lint clean lighthouse

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

venv: $(VENV)/.runtime
dev-venv: $(VENV)/.dev
node: node_modules/.installed

## make run: install, migrate, and serve Morrow on SQLite at http://127.0.0.1:5000
## (PORT=5000, HOST=0.0.0.0: every interface; HOST=127.0.0.1 keeps it off the Wi-Fi)
run: venv
	$(BIN)/flask --app wsgi db upgrade
	@$(BIN)/python -m app.serve_hint $(PORT) $(HOST)
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - wsgi:app

## make test: the whole suite (browser tests need chromium; see README)
test: dev-venv node
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make test-fast: everything but the browser and load tests
test-fast: dev-venv
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

## make lighthouse: Lighthouse mobile scores of the public card, Capture and Queue
lighthouse: dev-venv node
	$(BIN)/python bench/lighthouse.py

## make bench: the performance budget against a bare Flask floor (BENCH_ARGS=--quick)
bench: dev-venv
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## make profile-capture: where a capture's time goes, against the floor, in one process
profile-capture: dev-venv
	$(BIN)/python -m bench.capture_profile

lint: dev-venv
	$(BIN)/ruff check app tests bench wsgi.py
	$(BIN)/ruff format --check app tests bench wsgi.py
	$(BIN)/bandit -q -r app -ll
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules .pytest_cache
