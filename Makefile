# The README's commands. Each sets up .venv from the pinned requirements on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REQUIREMENTS := requirements.txt requirements-dev.txt $(wildcard handlers/*/requirements.txt)

.PHONY: local test preview clean

$(VENV)/.installed: $(REQUIREMENTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## local: run the whole pipeline on this machine (for now: the offline preview of both stacks)
local: $(VENV)/.installed
	$(PY) -m tools.offline_preview dev prod

## test: every test (unit, integration, infrastructure under Pulumi mocks)
test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

## preview: what `pulumi preview` would create for dev and prod, offline
preview: $(VENV)/.installed
	$(PY) -m tools.offline_preview dev prod

clean:
	rm -rf $(VENV) out .pytest_cache
