# The front door: `make lab` opens the kit, `make test` runs everything CI runs.
# Both create .venv on first use and refresh it when pyproject.toml or constraints.txt change.
# `make lab` installs only what a learner needs (the kit and its `lab` extra); `make teacher`
# the kit and the teacher's tools (its `teacher` extra: release, grade); `make test` adds the
# `teacher` and `dev` extras to the learner's venv. One stamp each, so `make lab` or
# `make teacher` after `make test` installs nothing and `make test` after `make lab` adds only
# the rest.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP_LAB := $(VENV)/.installed-lab
STAMP_TEACHER := $(VENV)/.installed-teacher
STAMP := $(VENV)/.installed-dev
# JupyterLab settings defaults for this venv only (never the user's own settings): no
# "get notified about Jupyter news?" toast, no update check.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
HOST := 127.0.0.1
PORT ?= 8888
# Jupyter refuses to run as root (containers, CI) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# pytest-xdist workers for notebook validation; 0 runs in one process.
JOBS ?= auto

# Notebook outputs must not depend on the run (set ordering); see tests/nbval-sanitize.cfg.
export PYTHONHASHSEED := 0
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg \
	--nbval-cell-timeout=120
# How fast, not how strict: the pytest processes that drive the kernels do without
# hypothesis's, anyio's and platformdirs's plugins and without assert rewriting (nbval
# compares outputs itself; the kernels run hypothesis and pytest themselves). Options only:
# nbval starts and stops each notebook's own fresh kernel as it always does.
NBVAL_FAST := --assert=plain -p no:hypothesispytest -p no:anyio -p no:platformdirs

.PHONY: help lab teacher test chromium lint typecheck unit notebooks outputs release stability mutation \
	bench clean

help:
	@echo "make lab    - start JupyterLab on notebooks/ (http://$(HOST):$(PORT), token required)"
	@echo "make lab DIR=path/to/course - start JupyterLab on a course folder of your own"
	@echo "make teacher - install the kit with the teacher's tools (orderkit release, grade)"
	@echo "make test   - lint, type check, unit + integration tests, strict notebook validation"
	@echo "make chromium - make sure the browser tests have a Chromium (apt-get when allowed)"
	@echo "make outputs - re-run every lesson notebook and store its outputs"
	@echo "make release - write student versions of classroom/source/ into notebooks/"
	@echo "make stability - strict notebook validation 20 times in a row"
	@echo "make mutation - mutation score of the services and stores (mutmut, a few minutes)"
	@echo "make bench  - run the benchmarks under benchmarks/"
	@echo "make clean  - remove .venv and caches"

# The venv, if missing, with a current pip.
define new_venv
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
endef

# A learner's venv: the kit, JupyterLab and notebook validation, nothing else.
$(STAMP_LAB): pyproject.toml constraints.txt tools/lab-overrides.json
	$(new_venv)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[lab]"
	@mkdir -p $(dir $(LAB_OVERRIDES))
	cp tools/lab-overrides.json $(LAB_OVERRIDES)
	@touch $@

# A teacher's venv: the kit and its classroom tools, without JupyterLab (a grading machine,
# or a JupyterHub image that brings its own; `make lab` adds it).
$(STAMP_TEACHER): pyproject.toml constraints.txt
	$(new_venv)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[teacher]"
	@touch $@

teacher: $(STAMP_TEACHER)
	@echo "The teacher's tools are in $(BIN): $(BIN)/orderkit --help"

# Everything `make test` runs: the learner's venv plus the teacher's tools and the dev tools
# (so it holds what `make teacher` installs too).
$(STAMP): $(STAMP_LAB)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[lab,teacher,dev]"
	@touch $(STAMP_TEACHER) $@

# Where `make lab` opens: the lessons, on lesson 00 (whose last section is the lesson map),
# or with DIR=path/to/course a folder of the teacher's own, on its file browser. A relative
# DIR starts from the folder make runs in. A DIR that is not a folder stops make before it
# installs anything.
DIR ?=
LAB_ROOT := $(or $(DIR),notebooks)
LAB_URL := $(if $(DIR),/lab/tree,/lab/tree/00-how-to-use-this-kit.ipynb)
ifneq ($(filter lab,$(MAKECMDGOALS)),)
ifneq ($(shell test -d '$(LAB_ROOT)' && echo yes),yes)
$(error DIR=$(DIR) is not a folder (a relative DIR starts from $(CURDIR)))
endif
endif

# No news or update checks (the server side here, the toast through $(LAB_OVERRIDES)).
lab: $(STAMP_LAB)
	$(BIN)/jupyter lab --ServerApp.ip=$(HOST) --ServerApp.port=$(PORT) \
		--ServerApp.root_dir='$(LAB_ROOT)' $(ROOT_FLAG) \
		--LabApp.default_url=$(LAB_URL) \
		--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

# Chromium first: without it the browser tests fail, so stop before anything else runs.
test: chromium lint typecheck unit notebooks

# The browser tests' Chromium (ORDERKIT_CHROMIUM, else /usr/bin/chromium): installed with
# apt-get when this user may, otherwise the command to run is printed and make stops.
chromium:
	@tools/ensure_chromium.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: chromium $(STAMP)
	$(BIN)/pytest tests

# Strict nbval over the lessons and the instructor versions of the exercises. The student
# versions in notebooks/ (10-, 11-) have no outputs to compare: the smoke run executes them.
# The notebooks are spread over $(JOBS) xdist workers, each notebook whole on one worker
# (--dist loadscope: its cells share one kernel); benchmarks/bench_notebooks.py times this
# against JOBS=0 (one process) in the same run.
LESSONS := $(wildcard notebooks/0[0-9]-*.ipynb) $(wildcard classroom/source/*.ipynb)
# CI and BUILD_NUMBER make pytest print longer failure summaries than a learner sees, so
# they are unset for the kernels whose outputs are compared.
notebooks: $(STAMP)
	env -u CI -u BUILD_NUMBER $(BIN)/python -m pytest $(NBVAL) $(NBVAL_FAST) -n $(JOBS) \
		--dist loadscope $(LESSONS)

# Student versions of the exercises, from the instructor versions in classroom/source/.
release: $(STAMP)
	$(BIN)/orderkit release classroom/source/*.ipynb --out notebooks

# Re-run every lesson and store its outputs (after editing a notebook or bumping a pin).
outputs: $(STAMP)
	$(BIN)/python tools/run_notebooks.py notebooks/0[0-9]-*.ipynb classroom/source/*.ipynb

# Strict notebook validation 20 times in a row: every run must pass.
stability: $(STAMP)
	$(BIN)/python tools/stability.py --runs 20

# Mutation testing (a few minutes; not part of make test), with the mutmut of the kit's venv
# (the lab extra has it, for lesson 09). Its mutated copy of the kit (mutants/) comes first on
# sys.path, ahead of the editable install, whose finder only answers after the path's.
mutation: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children $$(nproc)
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python tools/mutation_score.py

bench: $(STAMP)
	$(BIN)/python benchmarks/report.py

clean:
	rm -rf $(VENV) mutants .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Zero-install course: the lessons as a static JupyterLite site (Pyodide) in dist/lite/, in
# its own build venv (Python 3.12+, pins in tools/lite/constraints.txt); see the README.
LITE_VENV := .venv-lite
LITE_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python) \
	$(shell command -v python3.12 python3.13))
LITE_PORT ?= 8000
.PHONY: lite lite-serve lite-test
$(LITE_VENV)/.installed: tools/lite/requirements.txt tools/lite/constraints.txt
	@test -x $(LITE_VENV)/bin/python || $(LITE_PYTHON) -m venv $(LITE_VENV)
	$(LITE_VENV)/bin/python -m pip install --quiet -c tools/lite/constraints.txt \
		-r tools/lite/requirements.txt
	@touch $@
lite: $(LITE_VENV)/.installed
	$(LITE_VENV)/bin/python tools/lite/build.py
lite-serve:
	$(PYTHON) tools/lite/serve.py --port $(LITE_PORT)
lite-test: lite chromium $(STAMP)
	ORDERKIT_LITE_SITE=dist/lite $(BIN)/python -m pytest tests/lite -p no:cacheprovider
