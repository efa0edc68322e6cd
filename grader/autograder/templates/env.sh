# Sourced by setup.sh and run_autograder: where things are and which python runs the grader.
#   GRADER_AUTOGRADER_ROOT  the autograder root (default /autograder); tests relocate it
#   GRADER_PYTHON           the python to use (default: $GRADER_VENV/bin/python, else python3)
#   GRADER_VENV             the virtualenv setup.sh creates (default $ROOT/venv)
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
GRADER_VENV="${GRADER_VENV:-$ROOT/venv}"
if [ -n "${GRADER_PYTHON:-}" ]; then
    PY="$GRADER_PYTHON"
elif [ -x "$GRADER_VENV/bin/python" ]; then
    PY="$GRADER_VENV/bin/python"
else
    PY=python3
fi
# The grader, its hidden suite and coursedata are imported from this source tree, ahead
# of any other installed copy.
export PYTHONPATH="$SRC:$SRC/datasets"
export PYTHONDONTWRITEBYTECODE=1
