#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image:
# pinned dependencies, the grader itself, the sandbox user, the datasets (hidden split
# included, from the seed baked into this zip) and the speed calibration.
#   GRADER_SETUP_SKIP_INSTALL=1   dependencies are already present: skip apt and pip
set -euo pipefail
export GRADER_AUTOGRADER_ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
# shellcheck source=env.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"

if [ "${GRADER_SETUP_SKIP_INSTALL:-0}" != 1 ]; then
    # Ubuntu ships `venv` without ensurepip unless python3-venv is installed.
    if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            python3 python3-venv python3-pip
    fi
    python3 -m venv "$GRADER_VENV"
    PY="$GRADER_VENV/bin/python"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
        -r "$SRC/requirements.txt"
    "$PY" -m pip install --quiet --disable-pip-version-check --no-cache-dir --no-deps -e "$SRC"
fi

cd "$SRC"
"$PY" -m grader.autograder.setup_image
