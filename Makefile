# Bootstraps .venv from pyproject.toml; every target works on a fresh machine with only Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := data/demo
DEMO_MEMBERS ?= 20000
DEMO_SEED ?= 7
# Prefer the kernel spec inside .venv over any user-level "python3" kernel.
export JUPYTER_PREFER_ENV_PATH := 1
export MPLBACKEND := Agg

.PHONY: venv demo report test lab bench lint docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (analysis)"
	touch $(STAMP)

venv: $(STAMP)

$(DEMO)/ground_truth.json: | $(STAMP)
	$(BIN)/analysis synth --members $(DEMO_MEMBERS) --seed $(DEMO_SEED) --out $(DEMO)

demo: $(DEMO)/ground_truth.json

report: $(STAMP) demo
	$(BIN)/analysis run --data $(DEMO) --params notebooks/params/demo.yaml --out reports
	@echo "Open $(CURDIR)/reports/index.html"

test: $(STAMP) demo
	$(BIN)/python -m pytest

lab: $(STAMP) demo
	$(BIN)/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# the API reference from the docstrings (numpydoc sections); any Sphinx warning fails the build
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs/reference docs/_build/reference
	@echo "Open $(CURDIR)/docs/_build/reference/index.html"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools docs conftest.py
	$(BIN)/ruff format --check src tests benchmarks tools docs conftest.py

clean:
	rm -rf reports $(DEMO)
