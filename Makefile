# Every target sets up what it needs: a fresh clone runs `make grade` or `make test` directly.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HW         ?=
SUBMISSION ?=
ARGS       ?=

.DEFAULT_GOAL := help
.PHONY: help setup data grade test test-load bench bench-gpu lint calibrate doctor autograder release submit clean

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

# Grades must not move with the machine's load: the homework subset again, beside 3 busy
# processes (bounded; they end with the command).
LOAD_TESTS := tests/homeworks/test_hw1.py tests/test_load.py tests/test_determinism.py tests/engine/test_engine_limits.py
test-load: data  ## the hw1, load, determinism and limit tests beside 3 CPU hogs
	$(BIN)/python -m grader.bench.hogs 3 -- $(BIN)/python -m pytest $(LOAD_TESTS) $(ARGS)

bench: data  ## print the speed figures (engine, data, timing, grading, engine vs. plain pytest)
	$(BIN)/python -m grader.bench $(ARGS)

bench-gpu: data  ## grade hw1 and hw3 on the GPU: times, GPU/CPU ratio, memory, determinism
	$(BIN)/python -m grader.bench --only gpu $(ARGS)

lint: $(STAMP)  ## ruff (lint and format) and mypy
	$(BIN)/ruff check grader datasets/coursedata tests assignments solutions tools
	$(BIN)/ruff format --check grader datasets/coursedata tests assignments solutions tools
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
