# Every target sets up what it needs: a fresh clone runs `make grade` or `make test` directly.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HW         ?=
SUBMISSION ?=
ARGS       ?=

.DEFAULT_GOAL := help
.PHONY: help setup data grade test bench bench-gpu lint calibrate doctor autograder release submit clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the project (about 2 minutes the first time)

data: $(STAMP)  ## generate the embedded datasets into datasets/ (skips what is already there)
	$(BIN)/grader data

grade: data  ## grade HW=hw1 SUBMISSION=path, or every homework in assignments/ when both are empty
	$(BIN)/grader grade $(HW) $(SUBMISSION) $(ARGS)

test: data  ## run the project's own test suite
	$(BIN)/python -m pytest tests $(ARGS)

bench: data  ## print the speed figures (engine, data, timing, grading, engine vs. plain pytest)
	$(BIN)/python -m grader.bench $(ARGS)

bench-gpu: data  ## grade hw1 and hw3 on the GPU: times, GPU/CPU ratio, memory, determinism
	$(BIN)/python -m grader.bench --only gpu $(ARGS)

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check grader datasets/coursedata tests assignments solutions tools
	$(BIN)/mypy

calibrate: $(STAMP)  ## re-measure this machine's speed for training budgets
	$(BIN)/grader calibrate

doctor: $(STAMP)  ## show which sandbox layers are active here
	$(BIN)/grader doctor

autograder: data  ## build dist/$(HW)-autograder.zip for Gradescope
	$(BIN)/grader autograder $(HW) --out dist/$(HW)-autograder.zip

release: $(STAMP)  ## build the student release into dist/student
	$(BIN)/grader release --out dist/student

submit: $(STAMP)  ## zip your homework package for upload: make submit HW=hw1
	$(BIN)/grader bundle $(HW)

clean:  ## remove generated data, caches and builds (keeps .venv)
	rm -rf datasets/data datasets/hidden dist .grader .pytest_cache
