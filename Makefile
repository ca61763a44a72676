# Two commands do everything on a fresh machine:
#   make reproduce   create .venv if needed, then `dvc repro` the default profile at the root
#                    (PROFILE=extended, paper or gpu: that profile's pipeline in profiles/NAME/)
#   make test        create .venv if needed, then run the test suite
PYTHON ?= python3
VENV ?= .venv
PROFILE ?= default
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
# Stages call `python -m tokensel...`: put the environment's python first on PATH for DVC.
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: env reproduce test test-fast lab site efficiency-stability store clean-env

env: $(STAMP)

# torch is installed first and pinned: the CPU wheel of 2.13.0 is what every machine here has.
# janggu ships the real ChIP-seq data and is installed last, without its (TensorFlow) dependencies:
# installed earlier, every later pip run would report them as missing.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps janggu==0.10.2
	touch $(STAMP)

# Each profile reproduces in its own folder (the default at the root, any other in profiles/NAME/),
# so no profile overwrites another's results. `projects project` writes that folder's dvc.yaml and
# params.yaml and never overwrites edits to the params file (FORCE=1 keeps a copy in
# params.yaml.bak); the pipeline's first stage validates it before anything trains. The scales page
# then compares the verdicts of every profile that has been reproduced.
reproduce: env
	$(BIN)/python -m tokensel.pipeline.projects project $(PROFILE) $(if $(FORCE),--force)
	cd $$($(BIN)/python -m tokensel.pipeline.projects folder $(PROFILE)) && $(BIN)/dvc repro
	$(BIN)/python -m tokensel.pipeline.scales

test: env
	$(BIN)/python -m pytest

# The unit tests without the end-to-end notebook and DVC runs (marked slow): about a minute.
test-fast: env
	$(BIN)/python -m pytest -m "not slow"

# --allow-root: containers and CI run as root, where JupyterLab otherwise refuses to start.
lab: env
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

# A static site folder for any host: every profile's report pages with their figures (no build step, no scripts).
site:
	rm -rf site && mkdir -p site
	find reports $$(ls -d profiles/*/reports 2>/dev/null) \( -name '*.html' -o -name '*.png' \) -exec cp --parents {} site \;
	@echo "site/ holds $$(find site -name '*.html' | wc -l) pages (every profile's, in the repository's layout; start at reports/index.html); serve with: python3 -m http.server -d site"

# The efficiency targets' paired timings three times in a row on this machine: fails if any
# target's result (met / missed / undecided) differs between the runs (about 1 to 2 min per run).
efficiency-stability: env
	$(BIN)/python -m tokensel.efficiency.stability params.yaml --runs 3

# The run store (.runstore/): size, runs per experiment, stale runs (their code changed since).
# `make store VERB=verify` also reads every result; `make store VERB=prune` deletes the stale runs.
store: env
	$(BIN)/python -m tokensel.core.store $(or $(VERB),list)

clean-env:
	rm -rf $(VENV)
