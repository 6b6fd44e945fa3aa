# The README's first two commands: `make up` and `make test`. Needs only Python >= 3.11 and make.
PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
STAMP  := $(VENV)/.installed-stamp

.PHONY: up test install lint demo clean bench mutate

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON)
	@touch $(STAMP)

install: $(STAMP)

up: install
	$(VENV)/bin/unionaid up

# One test process per core (pytest-xdist; TEST_WORKERS=0 runs them all in this process), each with
# its own data directory, Prefect server and PostgreSQL schemas. The 25 slowest tests are listed
# at the end (CI's log shows where the time goes).
TEST_WORKERS ?= auto
test: install
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=25

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Mutation testing of the core (docs/testing.md): ~1 h on 2 cores from scratch, incremental after.
mutate: install
	$(VENV)/bin/python scripts/mutation_state.py restore $(MUTATE_FLAGS)
	$(VENV)/bin/mutmut run --max-children $$(nproc); status=$$?; $(VENV)/bin/python scripts/mutation_state.py save; exit $$status
	$(VENV)/bin/python scripts/mutation_score.py --min 90

demo: install
	$(VENV)/bin/unionaid demo

clean:
	rm -rf $(VENV) $(TOOLS) var mutants
