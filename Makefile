# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_STAMP := $(VENV)/.demo-stamp
PORT ?= 8765
DASHBOARD_PORT ?= 8501
# pytest-xdist workers: one per core, at most 4 (each may load the sentiment model, ~2 GB); whole files per worker
# (module-scoped worlds are built once), handed out in collection order (tests/conftest.py puts the slowest
# files first). `make pytest PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= auto

.PHONY: install install-demo demo test lint typecheck migrations-check pytest revision clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip wheel setuptools
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The demo needs the runtime only (no pytest, ruff, mypy); a developer install already has it.
$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -f $(STAMP) || $(BIN)/python -m pip install -qq --upgrade pip wheel setuptools
	test -f $(STAMP) || $(BIN)/python -m pip install -qq -e .
	touch $(DEMO_STAMP)

install-demo: $(DEMO_STAMP)

demo: install-demo
	bash scripts/demo.sh $(PORT) $(DASHBOARD_PORT)

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy molva classifier crawlers alerts dashboard simulator

migrations-check: install
	@tmp=$$(mktemp -d) && \
	  MOLVA_DATABASE_URL=sqlite:///$$tmp/check.db $(BIN)/alembic upgrade head && \
	  MOLVA_DATABASE_URL=sqlite:///$$tmp/check.db $(BIN)/alembic check; \
	  status=$$?; rm -rf $$tmp; exit $$status

pytest: install
	bash scripts/install-chromium.sh || echo "chromium unavailable: the screenshot test will skip"
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile --no-loadscope-reorder

test: lint typecheck migrations-check pytest

revision: install
	@tmp=$$(mktemp -d) && \
	  MOLVA_DATABASE_URL=sqlite:///$$tmp/rev.db $(BIN)/alembic upgrade head && \
	  MOLVA_DATABASE_URL=sqlite:///$$tmp/rev.db $(BIN)/alembic revision --autogenerate -m "$(m)"; rm -rf $$tmp

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) var build *.egg-info
