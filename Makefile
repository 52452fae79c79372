# The README's two commands: `make run` and `make test`. Each does its own set-up.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PORT    ?= 7071

.PHONY: setup run-setup run test test-unit test-integration test-e2e lint infra-check bench soak clean browser

# `make run` needs the app's virtualenv, Azurite, the dashboard's Swagger UI and the sample
# databases; `make setup` (tests, lint, infra checks) adds Chromium for the browser tests and
# the checkov virtualenv, neither of which running needs.
run-setup: $(VENV)/.run-installed node_modules/.installed api/dashboard/vendor/.installed \
	examples/.built
setup: run-setup $(VENV)/.installed browser

$(VENV)/.run-installed: requirements.txt requirements-run.txt packages/devhost/pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-run.txt
	touch $@

$(VENV)/.installed: $(VENV)/.run-installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# checkov (make infra-check) pins packaging<24, which pytest 9 cannot share: own virtualenv.
setup: $(VENV)/infra/.installed
$(VENV)/infra/.installed: requirements-infra.txt
	test -x $(VENV)/infra/bin/python || $(PY) -m venv $(VENV)/infra
	$(VENV)/infra/bin/python -m pip install --quiet -r requirements-infra.txt
	touch $@

# The sample source databases the demo documents (built, never committed).
examples/.built: examples/build_databases.py $(VENV)/.run-installed
	$(BIN)/python -m examples.build_databases examples
	touch $@

# Azurite is the blob emulator the local adapters talk to; npm is the only way to get it.
node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# The dashboard serves Swagger UI from the app (no CDN): copied from the pinned npm package
# beside the dashboard's own assets, so a deployment of this folder carries it.
SWAGGER_UI := node_modules/swagger-ui-dist
api/dashboard/vendor/.installed: node_modules/.installed
	mkdir -p api/dashboard/vendor
	cp $(SWAGGER_UI)/swagger-ui-bundle.js $(SWAGGER_UI)/swagger-ui.css $(SWAGGER_UI)/LICENSE api/dashboard/vendor/
	touch $@

# The dashboard's browser tests drive Debian's Chromium through its chromedriver (selenium);
# installed once with apt when missing (CI runs as root on a fresh Debian machine).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }

run: run-setup
	$(BIN)/python -m devhost start --app-dir . --port $(PORT) --clock real

# The app's integration tests run twice: in-process (where a fault can be injected and a
# debugger stops), then with orchestrators and activities in a worker process, as `make run`
# and Azure run them (DEVHOST_TEST_WORKERS; the journey model's faults need one process).
WORKER_SUITE := tests/integration/approval tests/integration/claims tests/integration/devices \
	tests/integration/scheduled tests/integration/management tests/integration/api
test: setup
	$(BIN)/python -m pytest -q
	DEVHOST_TEST_WORKERS=1 $(BIN)/python -m pytest -q $(WORKER_SUITE) \
		--deselect tests/integration/approval/test_journey_model.py
	$(MAKE) --no-print-directory infra-check

test-unit: setup
	$(BIN)/python -m pytest -q tests/unit packages/devhost/tests/unit

test-integration: setup
	$(BIN)/python -m pytest -q tests/integration packages/devhost/tests/integration

test-e2e: setup
	$(BIN)/python -m pytest -q tests/e2e packages/devhost/tests/e2e

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

infra-check: setup
	$(BIN)/python -m tools.infra_check infra

bench: setup
	$(BIN)/python -m bench

# The chaos run and the long run of the journey model (minutes; not part of `make test`).
# SOAK_DOCUMENTS / SOAK_KILLS size the chaos run; the model runs JOURNEY_MODEL_EXAMPLES.
SOAK_DOCUMENTS ?= 500
SOAK_KILLS ?= 20
soak: setup
	$(BIN)/python -m tools.soak --documents $(SOAK_DOCUMENTS) --kills $(SOAK_KILLS)
	JOURNEY_MODEL_EXAMPLES=$${JOURNEY_MODEL_EXAMPLES:-150} JOURNEY_MODEL_STEPS=$${JOURNEY_MODEL_STEPS:-40} \
		$(BIN)/python -m pytest -q -s tests/integration/approval/test_journey_model.py

clean:
	rm -rf .devhost .pytest_cache .mypy_cache .ruff_cache
