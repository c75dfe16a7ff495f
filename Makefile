# One target per step. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The layer's lock (`make lock`): what the functions run, and so what the tests run; and the OCR
# image's (OcrReport: the same pins, and the OCR libraries).
LOCK := shared/requirements.lock
OCR_LOCK := shared/requirements-ocr.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) $(OCR_LOCK) 2>/dev/null | cksum | cut -d' ' -f1)
# checkov and the SAM CLI pin older boto3 and cfn-lint than the project: their own venv
TOOLS ?= .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed-$(shell cat .ci/tools.txt | cksum | cut -d' ' -f1)

.PHONY: install lock demo test unit lint typecheck template bench examples fixtures screenshots mutants clean ocr-image-check

# The project with its dev tools, held to the lock's versions: pip takes the lock's `name==version`
# pins as constraints (hashes dropped: pip does not settle what a hash in a constraints file means).
$(STAMP): pyproject.toml $(LOCK) $(OCR_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	sed -n 's/^\([A-Za-z0-9][A-Za-z0-9._-]*==[^ ;\\]*\).*/\1/p' $(LOCK) $(OCR_LOCK) | sort -u > $(VENV)/constraints.txt
	$(BIN)/python -m pip install --quiet -e '.[dev]' -c $(VENV)/constraints.txt
	rm -f $(VENV)/.installed-* && touch $@

$(TOOLS_STAMP): .ci/tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r .ci/tools.txt
	rm -f $(TOOLS)/.installed-* && touch $@

install: $(STAMP)

## Regenerate the layer's lock from pyproject.toml (runtime dependencies and the aws extra): exact
## versions with every file's hash, resolved for Lambda (CPython 3.12, manylinux_2_28 x86_64, wheels
## only), with a pinned uv in a throwaway venv. It keeps the locked versions that still fit; to move
## on: `make lock LOCK_FLAGS=--upgrade` (or `--upgrade-package NAME`). Then `make install` and `make test`.
## The OCR image's lock adds the ocr extra, held to the layer's pins (the same code runs in both).
UV := uv==0.13.9
LOCK_FLAGS ?=
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp"; "$$tmp/bin/python" -m pip install --quiet '$(UV)'; \
	"$$tmp/bin/uv" pip compile --quiet pyproject.toml --extra aws \
		--python-version 3.12 --python-platform x86_64-manylinux_2_28 --no-build --generate-hashes \
		--custom-compile-command 'make lock' $(LOCK_FLAGS) --output-file $(LOCK); \
	"$$tmp/bin/uv" pip compile --quiet pyproject.toml --extra aws --extra ocr --constraint $(LOCK) \
		--python-version 3.12 --python-platform x86_64-manylinux_2_28 --no-build --generate-hashes \
		--custom-compile-command 'make lock' $(LOCK_FLAGS) --output-file $(OCR_LOCK)

## OcrReport's image without a container runtime: its lock installed for CPython 3.12 on manylinux
## x86_64 into a folder laid out as the Dockerfile lays out the task root, then the handler's init
## and a scanned report checked there with Python 3.12 (PYTHON312) and the function's environment.
PYTHON312 ?= python3.12
OCR_SCAN ?= tests/fixtures/documents/r2021-scan.pdf
ocr-image-check:
	set -e; root=$$(mktemp -d); trap 'rm -rf "$$root"' EXIT; \
	$(PYTHON312) -m pip install --quiet --no-cache-dir --require-hashes --only-binary=:all: --implementation cp \
		--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
		--python-version 3.12 -r $(OCR_LOCK) --target "$$root"; \
	cp -r shared/nianbao "$$root/nianbao"; cp functions/process_report/app.py "$$root/app.py"; \
	echo "task root: $$(du -sm "$$root" | cut -f1) MB"; \
	cd "$$root" && env -i PATH="$$PATH" HOME="$$root" PYTHONPATH="$$root" PYTHONDONTWRITEBYTECODE=1 \
		AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=none AWS_SECRET_ACCESS_KEY=none \
		FINDINGS_TABLE=local NOTICES_TOPIC_ARN=arn:aws:sns:us-east-1:000000000000:local \
		AWS_LAMBDA_FUNCTION_MEMORY_SIZE=3072 NIANBAO_MAX_SECONDS=300 \
		$(PYTHON312) $(CURDIR)/.ci/ocr_image_check.py $(CURDIR)/$(OCR_SCAN)

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
## the function's cold start against boto3's; isolation's cost; the dashboard API against plain queries;
## scans read by OCR against pdftoppm rasterising them.
bench: $(STAMP)
	$(BIN)/python -m bench.text_throughput
	$(BIN)/python -m bench.pdf_throughput
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.isolation
	$(BIN)/python -m bench.dashboard_api
	$(BIN)/python -m bench.ocr

## The README's dashboard screenshots, taken by the browser test over the demo's data.
screenshots: $(STAMP)
	NIANBAO_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q --no-cov -p no:cacheprovider tests/e2e/test_dashboard_browser.py

## The long fuzz run: 10,000 damaged PDF/Word/HTML files and random bytes through check_bytes, none
## may raise or take 2 s (the unit suite runs 300 of them). NIANBAO_FUZZ_SEED picks other examples.
fuzz: $(STAMP)
	NIANBAO_FUZZ_EXAMPLES=10000 $(BIN)/pytest -q --no-cov -p no:cacheprovider tests/unit/test_fuzz_files.py

## Mutation testing of the rules and the spec (mutmut, [tool.mutmut] in pyproject.toml): every mutant
## of rules/ and spec/ against the rules' unit tests, from a fresh mutants/, then the score and the
## survivors. About 15 minutes on two cores (2,652 mutants); not part of `make test`. After a new
## test: `$(BIN)/python .ci/mutants.py run NAME` (NAME as listed, * allowed); `... show NAME`.
mutants: $(STAMP)
	rm -rf mutants
	nice -n 10 $(BIN)/python .ci/mutants.py run
	$(BIN)/python .ci/mutants.py score

## Regenerate the example reports from the synthetic generator (tests/synth).
examples: $(STAMP)
	$(BIN)/python -m tests.synth.examples shared/nianbao/examples

## Re-render the committed PDF/Word/HTML fixtures (needs the CJK fonts and LibreOffice).
fixtures: $(STAMP)
	$(BIN)/python -m tests.synth.fixtures tests/fixtures/documents

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis build *.egg-info shared/*.egg-info
