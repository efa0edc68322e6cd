"""Engine speed: worker start (a fork of the zygote), a call's round trip, and the engine's
overhead on a 20-test suite, all on a throwaway homework whose test bodies do almost nothing.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from grader.api import grade
from grader.bench import Figure
from grader.engine.session import GradingSession
from grader.engine.zygote_client import Zygote, shared_zygote
from grader.homeworks import Homework

N_TESTS = 20
N_WORKERS = 20
N_CALLS = 50

_OPS = """
def identity(x):
    return x
"""

_TEST = """
@weight(1)
def test_{i}(student):
    start = time.perf_counter()
    y = student.ops.identity(torch.zeros(4))
    assert tuple(y.shape) == (4,)
    with open({log!r}, "a") as log:
        log.write(json.dumps(time.perf_counter() - start) + "\\n")
"""


def make_homework(root: Path, body_log: Path) -> Homework:
    """A homework `benchhw` with one trivial function and a suite of N_TESTS tests."""
    pkg = root / "starter" / "benchhw"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ops.py").write_text(_OPS)
    suite = root / "suite"
    suite.mkdir()
    header = "import json\nimport time\n\nimport torch\n"
    header += "from gradescope_utils.autograder_utils.decorators import weight\n"
    tests = "".join(_TEST.format(i=i, log=str(body_log)) for i in range(N_TESTS))
    (suite / "test_bench.py").write_text(header + textwrap.dedent(tests))
    return Homework("benchhw", "benchhw", root / "starter", suite)


def _zygote_start(workdir: Path) -> float:
    start = time.monotonic()
    zygote = Zygote(1, workdir)
    try:
        zygote.wait_ready()
        return time.monotonic() - start
    finally:
        zygote.close()


def _cpu_seconds(pid: int) -> float:
    """CPU time of `pid` plus its reaped children (the zygote reaps every worker)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime..cstime


def _worker_figures(hw: Homework) -> tuple[float, float, float | None]:
    """Median worker start incl. first answer, median round trip of a small call, and the
    CPU time one worker start costs (fork + sandbox set-up; None off Linux), in s."""
    session = GradingSession(hw, hw.starter_dir, device="cpu", threads=1)
    session.prefork = False  # measure the whole start, not one hidden behind the last test
    try:
        session.zygote.wait_ready()
        try:
            cpu_before: float | None = _cpu_seconds(session.zygote.pid)
        except OSError:
            cpu_before = None
        starts = []
        for _ in range(N_WORKERS):
            begin = time.perf_counter()
            with session.spawn() as student:
                ops = student.ops
                starts.append(time.perf_counter() - begin)
        time.sleep(0.5)  # let the zygote reap the last workers
        cpu = None
        if cpu_before is not None:
            cpu = (_cpu_seconds(session.zygote.pid) - cpu_before) / N_WORKERS
        trips = []
        with session.spawn() as student:
            ops = student.ops
            for _ in range(N_CALLS):
                begin = time.perf_counter()
                ops.identity(1)
                trips.append(time.perf_counter() - begin)
        return statistics.median(starts), statistics.median(trips), cpu
    finally:
        session.close()


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        root = Path(tmp)
        body_log = root / "bodies.jsonl"
        hw = make_homework(root / "hw", body_log)
        zygote_s = _zygote_start(root / "zygote")
        start_s, trip_s, start_cpu_s = _worker_figures(hw)
        grade(hw, hw.starter_dir, threads=1, keyword="test_0")  # warm the shared zygote
        body_log.write_text("")
        zygote = shared_zygote(1)
        cpu_before = time.process_time() + _cpu_seconds(zygote.pid)
        begin = time.monotonic()
        report = grade(hw, hw.starter_dir, threads=1)
        total_s = time.monotonic() - begin
        time.sleep(0.5)  # let the zygote reap the last workers
        cpu_s = time.process_time() + _cpu_seconds(zygote.pid) - cpu_before
        bodies_s = sum(json.loads(line) for line in body_log.read_text().splitlines())
        if report.score != N_TESTS:
            raise RuntimeError(f"the bench suite scored {report.score}/{N_TESTS}")
    return [
        Figure("zygote start (imports torch, once per process)", round(zygote_s, 2), "s"),
        Figure(
            "worker start: fork of the zygote to first answer, median",
            round(start_s * 1e3, 1),
            "ms",
            "<= 100 ms",
        ),
        Figure("round trip of a small call, median", round(trip_s * 1e3, 2), "ms"),
        *(
            [
                Figure(
                    "worker start: CPU time per worker (fork + sandbox)",
                    round(start_cpu_s * 1e3, 1),
                    "ms",
                )
            ]
            if start_cpu_s is not None
            else []
        ),
        Figure(f"grade() of a {N_TESTS}-test suite, warm zygote", round(total_s, 2), "s"),
        Figure("CPU time of that grade() (parent + zygote + workers)", round(cpu_s, 2), "s"),
        Figure(
            f"engine overhead beyond the test bodies, {N_TESTS} tests",
            round(total_s - bodies_s, 2),
            "s",
            "<= 2 s",
        ),
    ]
