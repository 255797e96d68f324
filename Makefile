# Two commands work on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ich-installed

.PHONY: install demo test readme clean-demo docs-proc

$(STAMP): settings.ini setup.py scripts/install.sh
	ICH_VENV=$(VENV) scripts/install.sh
	touch $(STAMP)

install: $(STAMP)

## demo: run the whole pipeline on the embedded synthetic demo data
demo: $(STAMP)
	$(BIN)/ich-demo

## test: the package and notebooks are in sync and clean, then every notebook runs as a test
test: $(STAMP)
	@git diff --quiet -- ich_nbdev nbs || { echo "commit or stash changes in ich_nbdev/ nbs/ first: make test checks that nbdev_export and nbdev_clean change nothing"; exit 1; }
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	@if [ -n "$$(git status --porcelain -- ich_nbdev nbs)" ]; then git status --short -- ich_nbdev nbs; echo "nbdev_export/nbdev_clean changed the files above: run them and commit"; exit 1; fi
	$(BIN)/nbdev_test --n_workers $${ICH_TEST_WORKERS:-2} --timing $(TEST_FLAGS)

## readme: README.md is generated from nbs/index.ipynb
readme: $(STAMP)
	$(BIN)/jupyter nbconvert --to markdown --log-level WARN --output-dir . --output README nbs/index.ipynb

## docs-proc: nbdev's notebook processing (what nbdev_docs/nbdev_preview/nbdev_readme run before Quarto), without Quarto
docs-proc: $(STAMP)
	IN_TEST=1 $(BIN)/python -c "from nbdev.quarto import refresh_quarto_yml; from nbdev.serve import proc_nbs; refresh_quarto_yml(); proc_nbs(force=True, n_workers=$${ICH_TEST_WORKERS:-2})"
