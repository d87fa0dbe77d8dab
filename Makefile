# Every target sets itself up: a virtualenv in .venv with the package installed editable.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest redis-server postgresql bench docs sandbox clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# compat: a plain path entry, which type checkers outside the repository follow too
	$(BIN)/python -m pip install --quiet -e '.[test,docs]' --config-settings editable_mode=compat
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/asperion demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict asperion_orm

# coverage starts before pytest so that the pytest plugin's early import of the package is measured.
pytest: $(STAMP) redis-server postgresql
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

# tests/workers and the bench run a real redis-server; install it when missing (Debian/Ubuntu,
# as root or through sudo), quietly, and do nothing when it is there.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
		sudo=$$(test "$$(id -u)" = 0 || echo sudo); \
		echo "installing redis-server (apt-get)"; \
		{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$$sudo apt-get install -y -qq redis-server; } >/dev/null 2>&1 || { \
			echo "could not install redis-server: run apt-get install -y redis-server"; exit 1; }; \
	}

# tests/contrib_django start a real PostgreSQL server (binaries under /usr/lib/postgresql/N/bin,
# not on PATH); install it when missing, as for redis-server.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		sudo=$$(test "$$(id -u)" = 0 || echo sudo); \
		echo "installing postgresql (apt-get)"; \
		{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$$sudo apt-get install -y -qq postgresql; } >/dev/null 2>&1 || { \
			echo "could not install postgresql: run apt-get install -y postgresql"; exit 1; }; \
	}

bench: $(STAMP) redis-server
	$(BIN)/python benchmarks/run.py

# The test suite builds the site too (tests/docs); this target leaves it in site/ to look at.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

sandbox: $(STAMP)
	$(BIN)/asperion sandbox

clean:
	rm -rf $(VENV) .coverage .mypy_cache .ruff_cache .pytest_cache .hypothesis site build *.egg-info
