# Two commands do all set-up on a fresh machine:
#   make lab    installs the course (first time only) and opens JupyterLab on notebooks/
#   make test   installs the course and its test tools (first time only) and runs the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST := COURSE_PROFILE=quick COURSE_PROGRESS=0 MPLBACKEND=Agg $(BIN)/python -m pytest

.PHONY: lab test test-unit test-notebooks test-browser test-gpu build doctor benchmarks browser-deps clean site

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/course build --check
	$(PYTEST) -p no:cacheprovider tests solutions notebooks --nbval-lax --nbval-current-env -rs

test-unit: $(STAMP)
	$(PYTEST) tests -m "not browser" -rs

test-notebooks: $(STAMP)
	$(PYTEST) solutions notebooks --nbval-lax --nbval-current-env

test-browser: $(STAMP)
	$(PYTEST) tests -m browser -rs

build: $(STAMP)
	$(BIN)/course build

doctor: $(STAMP)
	$(BIN)/course doctor

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/course_time.py --profile quick

# The course website from the recorded full run (site/executed): nothing is executed. Opens offline.
# SITE_SOURCE=DIR builds it from another folder of executed notebooks (e.g. a quick run).
SITE_SOURCE ?= site/executed
site: $(STAMP)
	$(BIN)/python -m course_lib.tooling.site --source $(SITE_SOURCE) --out site/_build

clean:
	rm -rf $(VENV) .pytest_cache

# The same suite on CUDA: unit tests (CPU and CUDA cases) and every notebook with COURSE_DEVICE=cuda.
test-gpu: $(STAMP)
	@$(BIN)/python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 'make test-gpu: no CUDA device is visible (torch.cuda.is_available() is False). Check nvidia-smi and that the installed torch is a CUDA build.')"
	$(BIN)/course build --check
	COURSE_DEVICE=cuda $(PYTEST) -p no:cacheprovider tests solutions notebooks --nbval-lax --nbval-current-env -m "not browser" -rs
