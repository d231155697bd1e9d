# Every target sets up what it needs: `make demo` and `make test` work on a fresh machine.
PY := .venv/bin/python
PIP := .venv/bin/pip
export TRAINBOARD_TEST_PG ?= postgresql://postgres@127.0.0.1:5432/test
export HF_HUB_OFFLINE := 1

.PHONY: venv ui chromium poppler postgres check test test-fast demo bench clean

venv: .venv/.stamp-deps
.venv/.stamp-deps: requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps -e .
	touch $@

ui: src/trainboard/server/static/index.html
# The UI's API types are generated from the server's OpenAPI schema first (openapi-typescript,
# pinned in ui/tools/openapi-types); tests/browser/test_ui_types.py fails when they drift.
src/trainboard/server/static/index.html: .venv/.stamp-deps $(shell find ui/src ui/index.html ui/package.json ui/vite.config.ts ui/tools/openapi-types/package-lock.json src/trainboard/server -type f -not -path '*/static/*' -not -name '*.pyc' 2>/dev/null)
	cd ui/tools/openapi-types && npm ci --no-audit --no-fund --loglevel=error
	ui/tools/openapi-types/generate.sh $(PY) ui/src/api/schema.d.ts
	cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# pdftoppm: the figure tests turn a PDF page into a picture
poppler:
	@command -v pdftoppm >/dev/null || (apt-get update -qq && apt-get install -y -qq poppler-utils)

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start

check: venv
	.venv/bin/ruff format --check src tests bench examples
	.venv/bin/ruff check src tests bench examples
	.venv/bin/mypy

# The full suite, every test, in parallel (pytest-xdist: one worker per core; --dist loadgroup
# keeps a file's `xdist_group` tests on one worker). Tests share no port, file or database name.
test: venv ui chromium poppler postgres check
	.venv/bin/pytest -q -n auto --dist loadgroup

# The inner loop: no browser, no subprocess demos or example scripts (markers `browser`, `slow`);
# PostgreSQL databases are copies of one migrated template (tests/conftest.py).
test-fast: venv postgres
	.venv/bin/pytest -q -n auto --dist loadgroup -m "not browser and not slow"

demo: venv ui
	$(PY) -m trainboard demo

bench: venv ui chromium bench/.venv-anchors/.stamp
	$(PY) -m bench.run

# The anchors (TensorBoard, MLflow, trackio, Aim, wandb) in their own venv so their pins never
# fight ours; one that cannot install is left out (bench/run.py reports it as not installed).
bench/.venv-anchors/.stamp: bench/requirements-anchors.txt
	test -x bench/.venv-anchors/bin/python || python3 -m venv bench/.venv-anchors
	bench/.venv-anchors/bin/pip install -q -r bench/requirements-anchors.txt || \
	  for p in $$(grep -v '^#' bench/requirements-anchors.txt); do \
	    bench/.venv-anchors/bin/pip install -q $$p || echo "bench: $$p did not install"; done
	touch $@

clean:
	rm -rf .venv ui/node_modules src/trainboard/server/static
