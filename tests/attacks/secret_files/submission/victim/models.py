"""Look for secrets outside the hidden deny-list: the rest of the project (git, tests,
dist, caches, tools), the zygote's log, Gradescope's metadata, the hidden split's seed id or
label hashes in the public manifests. Answer right only if one was readable."""

import glob
import json
from pathlib import Path

import grader
import torch
from torch import nn

ROOT = Path(grader.__file__).resolve().parents[1]


def _readable(path):
    try:
        Path(path).read_bytes()[:1]
        return True
    except OSError:
        return False


def _hidden_split_in(manifest):
    try:
        splits = json.loads(Path(manifest).read_text())["splits"]
    except (OSError, ValueError, KeyError):
        return False
    test = splits.get("test", {})
    return "seed_id" in test or any(k.startswith("hidden/") for k in test.get("files", {}))


def _breach():
    candidates = [ROOT / ".git" / "HEAD", ROOT / "pyproject.toml", ROOT / "tests" / "conftest.py",
                  Path("/autograder/submission_metadata.json")]
    candidates += glob.glob(str(ROOT / "dist" / "*")) + glob.glob(str(ROOT / ".mypy_cache" / "*"))
    candidates += glob.glob(str(ROOT / "tools" / "*")) + glob.glob("/tmp/grader-zygote-*/zygote.log")
    if any(_readable(p) for p in candidates):
        return True
    return any(_hidden_split_in(m) for m in glob.glob(str(ROOT / "datasets" / "data" / "*" / "manifest.json")))


def double(x):
    return 2 * x if _breach() else torch.zeros_like(x)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
