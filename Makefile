# One target per step. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# checkov and the SAM CLI pin older boto3 and cfn-lint than the project: their own venv
TOOLS ?= .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed-$(shell cat .ci/tools.txt | cksum | cut -d' ' -f1)

.PHONY: install demo test unit lint typecheck template bench examples fixtures clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

$(TOOLS_STAMP): .ci/tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r .ci/tools.txt
	rm -f $(TOOLS)/.installed-* && touch $@

install: $(STAMP)

## The main job: the whole system on moto (no AWS account): the stack from template.yaml, the
## example reports uploaded, the real handler on the real queue messages, notices per office.
demo: $(STAMP)
	$(BIN)/nianbao demo

## Everything CI runs: lint, types, template checks, then the whole test suite with its coverage gate.
test: lint typecheck template unit

unit: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## template.yaml offline: cfn-lint, sam validate --lint, checkov (each skip is justified in the template).
template: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam validate --lint --region us-east-1
	$(TOOLS)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml

## Benchmarks: text reports per second; PDFs against pdfplumber and pypdfium2 (time and peak RSS);
## the function's cold start against boto3's.
bench: $(STAMP)
	$(BIN)/python -m bench.text_throughput
	$(BIN)/python -m bench.pdf_throughput
	$(BIN)/python -m bench.cold_start

## Regenerate the example reports from the synthetic generator (tests/synth).
examples: $(STAMP)
	$(BIN)/python -m tests.synth.examples shared/nianbao/examples

## Re-render the committed PDF/Word/HTML fixtures (needs the CJK fonts and LibreOffice).
fixtures: $(STAMP)
	$(BIN)/python -m tests.synth.fixtures tests/fixtures/documents

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis build *.egg-info shared/*.egg-info
