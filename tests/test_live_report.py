"""`grader grade` prints each test's line as the test finishes, not when grading ends.

A throwaway course (its own folders, found through $GRADER_HOMEWORK_ROOTS) has a two-test
suite. The second test, in the trusted parent, waits until this test has read the first
test's line from the CLI's stdout pipe: the handshake proves the line was printed before
the last test started. Without streaming the second test gives up after its wait, loses
its point, and the check fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from grader.homeworks import ROOTS_ENV

TEMPLATE = Path(__file__).resolve().parent / "autograder_toy"  # starter/, solution/, suite/
WAIT_S = 60.0

SUITE = f'''
import os, time
from pathlib import Path
from gradescope_utils.autograder_utils.decorators import number, weight

from grader.checks import expect_tensor
import torch


@number("1.1")
@weight(1)
def test_double(student):
    """double doubles"""
    y = expect_tensor(student.ops.double(torch.ones(3)), shape=(3,), name="double")
    assert torch.equal(y, 2 * torch.ones(3)), "double(x) is not 2 * x"


@number("1.2")
@weight(1)
def test_after_the_first_line_was_read():
    """the first line reached the reader before this test started"""
    go = Path(os.environ["LIVE_REPORT_GO"])
    deadline = time.monotonic() + {WAIT_S}
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert go.exists(), "the reader never saw the first line while this test ran"
'''


def _course(root: Path) -> None:
    shutil.copytree(TEMPLATE / "starter" / "toyhw", root / "assignments" / "live" / "live")
    suite = root / "grader" / "suites" / "live"
    suite.mkdir(parents=True)
    (suite / "test_live.py").write_text(SUITE)


def test_lines_stream_as_tests_finish_and_lost_points_exit_1(tmp_path: Path) -> None:
    _course(tmp_path / "course")
    go = tmp_path / "go"
    env = {
        **os.environ,
        ROOTS_ENV: str(tmp_path / "course"),
        "LIVE_REPORT_GO": str(go),
        "COLUMNS": "120",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader", "grade", "live", "--threads", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines = []
    start = time.monotonic()
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.lstrip().startswith("1.1 "):
            go.touch()  # let the second test start its check
    code = proc.wait(timeout=120)
    err = proc.stderr.read() if proc.stderr else ""
    assert time.monotonic() - start < WAIT_S, "the second test had to wait out its deadline"
    assert lines[0].startswith("live, hidden suite ("), lines
    first = next(line for line in lines if line.lstrip().startswith("1.1 "))
    assert "0.00 / 1" in first and "not implemented yet" in first, first
    second = next(line for line in lines if line.lstrip().startswith("1.2 "))
    assert "1.00 / 1" in second, (lines, err)
    assert lines[-1].startswith("total 1.00 / 2"), lines
    assert code == 1, err  # points were lost: scripts and CI can tell


def test_exit_zero_and_a_full_score_exit_0(tmp_path: Path) -> None:
    _course(tmp_path / "course")
    go = tmp_path / "go"
    go.touch()  # no handshake needed here
    env = {**os.environ, ROOTS_ENV: str(tmp_path / "course"), "LIVE_REPORT_GO": str(go)}
    solution = tmp_path / "solution"
    shutil.copytree(TEMPLATE / "solution" / "toyhw", solution / "live")
    run = [sys.executable, "-m", "grader", "grade", "live", str(solution), "--threads", "1"]
    solved = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert solved.stdout.splitlines()[-1].startswith("total 2.00 / 2")
    starter = [*run[:5], "--threads", "1", "--exit-zero"]
    lost = subprocess.run(starter, capture_output=True, text=True, env=env, timeout=120)
    assert lost.returncode == 0, lost.stdout + lost.stderr
