"""Forge results.json and report files wherever they might be read, then exit 0."""

import json
import os
import sys

FORGED = json.dumps({"score": 1000, "tests": [{"score": 1000, "max_score": 1, "name": "pwned"}]})
TARGETS = [
    "results.json", "../results.json", "../../results.json", "/tmp/results.json",
    "/autograder/results/results.json", "@@RESULTS_DIR@@/results.json",
    "@@RESULTS_DIR@@/report.json", "@@RESULTS_DIR@@/../results.json",
]
for target in TARGETS:
    try:
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        with open(target, "w") as fh:
            fh.write(FORGED)
    except OSError:
        pass
sys.stdout.write(FORGED)
sys.stdout.flush()
os._exit(0)
