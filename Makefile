# One target per step. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install demo test unit lint typecheck bench examples fixtures clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## The main job: check the example reports the project ships (no AWS, no network).
demo: $(STAMP)
	$(BIN)/nianbao check shared/nianbao/examples --exit-zero

## Everything CI runs: lint, types, then the whole test suite with its coverage gate.
test: lint typecheck unit

unit: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Benchmarks: text reports per second; PDFs against pdfplumber and pypdfium2 (time and peak RSS).
bench: $(STAMP)
	$(BIN)/python -m bench.text_throughput
	$(BIN)/python -m bench.pdf_throughput

## Regenerate the example reports from the synthetic generator (tests/synth).
examples: $(STAMP)
	$(BIN)/python -m tests.synth.examples shared/nianbao/examples

## Re-render the committed PDF/Word/HTML fixtures (needs the CJK fonts and LibreOffice).
fixtures: $(STAMP)
	$(BIN)/python -m tests.synth.fixtures tests/fixtures/documents

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis build *.egg-info shared/*.egg-info
