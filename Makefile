# Every target creates the virtual environment it needs; nothing is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian's chromium, driven by Playwright in the dashboard's browser test (Playwright's own
# browser download cannot work here); installed by apt-get when missing (as root).
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-slow lint bench bench-full bench-teaching bench-run calibrate-check figures clean

$(BIN)/mlatsim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,discovery]'
	touch $(BIN)/mlatsim

run: $(BIN)/mlatsim
	$(BIN)/mlatsim run scenarios/baseline.toml

$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

test: lint $(CHROMIUM)
	$(BIN)/pytest -n 2 -m "not slow"
	$(BIN)/pytest -m slow

lint: $(BIN)/mlatsim
	$(BIN)/ruff check sim tests bench tools
	$(BIN)/ruff format --check sim tests bench tools
	$(BIN)/lint-imports

bench: $(BIN)/mlatsim
	$(BIN)/python bench/throughput.py

bench-full: $(BIN)/mlatsim
	$(BIN)/python bench/full_world.py

bench-teaching: $(BIN)/mlatsim
	$(BIN)/python bench/teaching.py

# `make run`'s wall time against its 5-minute target, with a bare SimPy reference.
bench-run: $(BIN)/mlatsim
	$(BIN)/python bench/make_run.py

# The figures of README.md: the baseline and a comparison at 2 replications -> docs/images/
figures: $(BIN)/mlatsim
	$(BIN)/python tools/readme_figures.py --replications 2 --workers 2

calibrate-check: $(BIN)/mlatsim
	$(BIN)/mlatsim calibrate scenarios/baseline.toml --check

clean:
	rm -rf $(VENV) results/*/
