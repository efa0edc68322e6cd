"""The Gradescope autograder: policy, metadata, results schema, the zip, and run_autograder.

Fast tests use the toy homework (tests/autograder_toy). The slow tests build each
homework's zip, run setup.sh and grade the reference solution (full marks) and the starter
(zero) end to end, as Gradescope would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from autograder_toy import TOTAL_POINTS, make_toy

from grader import homeworks
from grader.autograder import (
    AutograderPolicy,
    LatePolicy,
    RateLimit,
    build_autograder,
    run_autograder,
    validate_results,
)
from grader.autograder.metadata import (
    PreviousSubmission,
    late_decision,
    parse_metadata,
    rate_decision,
)
from grader.bench.cgroup import MemoryCgroup
from grader.errors import GraderError

SEED = "424242"
DUE = datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


# ---- policy ---------------------------------------------------------------------------


def test_policy_round_trips_and_rejects_unknown_keys() -> None:
    data = {
        "late": {"percent_per_day": 10, "max_days": 3, "grace_minutes": 15},
        "rate_limit": {"max_submissions": 5},
        "leaderboard": False,
    }
    policy = AutograderPolicy.from_dict(data)
    assert policy.late == LatePolicy(10.0, 3, 15.0)
    assert policy.rate_limit == RateLimit(5, 24.0)
    assert AutograderPolicy.from_dict(policy.to_dict()) == policy
    with pytest.raises(GraderError, match="unknown key 'percent'"):
        AutograderPolicy.from_dict({"late": {"percent": 10}})
    with pytest.raises(GraderError, match="max_submissions must be a whole number >= 1"):
        AutograderPolicy.from_dict({"rate_limit": {"max_submissions": 0}})
    with pytest.raises(GraderError, match="between 0 and 100"):
        AutograderPolicy.from_dict({"late": {"percent_per_day": 150}})


# ---- lateness and rate limit: from created_at, never the clock ---------------------------


@pytest.mark.parametrize(
    ("delay", "days", "fraction"),
    [
        (timedelta(hours=-5), 0, 0.0),
        (timedelta(minutes=10), 0, 0.0),  # inside the 15-minute grace
        (timedelta(minutes=16), 1, 0.1),
        (timedelta(days=1, minutes=20), 2, 0.2),
        (timedelta(days=3, minutes=20), 4, 1.0),  # past max_days: scores 0
    ],
)
def test_late_penalty(delay: timedelta, days: int, fraction: float) -> None:
    decision = late_decision(LatePolicy(10.0, 3, 15.0), DUE + delay, DUE)
    assert (decision.days_late, decision.penalty_fraction) == (days, pytest.approx(fraction))
    assert bool(decision.message) == (days > 0)


def _prev(hours_before: float, score: float, *, error: bool = False, exempt: bool = False):
    return PreviousSubmission(T0 - timedelta(hours=hours_before), score, error, exempt)


def test_rate_limit_counts_graded_submissions_in_the_window() -> None:
    limit = RateLimit(max_submissions=2, window_hours=24)
    assert rate_decision(limit, T0, [_prev(1, 5.0)]).allowed
    # Autograder errors, exempt submissions (refused, ungradable) and old ones do not count.
    ignored = [_prev(1, 0.0, error=True), _prev(2, 7.0, exempt=True), _prev(30, 9.0)]
    assert rate_decision(limit, T0, [_prev(1, 5.0), *ignored]).allowed
    refused = rate_decision(limit, T0, [_prev(1, 5.0), _prev(3, 8.0), *ignored])
    assert not refused.allowed
    assert refused.best_previous == 9.0  # the best of every graded submission
    assert refused.next_allowed_at == T0 - timedelta(hours=3) + timedelta(hours=24)
    assert "Submission limit reached" in refused.message


def test_metadata_parses_gradescope_fields() -> None:
    meta = parse_metadata(_metadata(T0, previous=[(T0 - timedelta(hours=2), 2.5)]))
    assert meta.created_at == T0
    assert meta.due_date == DUE
    assert meta.previous[0].score == 2.5 and not meta.previous[0].exempt
    assert meta.users == ["student@example.edu"]


def test_metadata_marks_submissions_that_use_no_slot() -> None:
    data = _metadata(T0, previous=[(T0 - timedelta(hours=h), 1.0) for h in (1, 2, 3, 4)])
    flags = [{"rate_limited": True}, {"autograder_error": True}, {"unusable_submission": True}]
    extras = [*flags, {"rate_limited": False}]
    for entry, extra in zip(data["previous_submissions"], extras, strict=True):
        entry["results"]["extra_data"] = extra
    assert [p.exempt for p in parse_metadata(data).previous] == [True, True, True, False]


def _metadata(created: datetime, previous: list[tuple[datetime, float]] = ()) -> dict:
    return {
        "id": 123456,
        "created_at": created.isoformat(),
        "assignment": {
            "due_date": DUE.astimezone(timezone(timedelta(hours=-8))).isoformat(),
            "late_due_date": None,
            "release_date": "2026-02-01T00:00:00.000000-08:00",
            "title": "Toy",
            "total_points": str(TOTAL_POINTS),
        },
        "submission_method": "upload",
        "users": [{"email": "student@example.edu", "id": 1, "name": "A Student"}],
        "previous_submissions": [
            {"submission_time": t.isoformat(), "score": s, "autograder_error": False,
             "results": {"score": s}}
            for t, s in previous
        ],
    }  # fmt: skip


# ---- results.json schema ---------------------------------------------------------------


def test_validator_accepts_valid_and_names_each_problem() -> None:
    good = {
        "score": 3.0,
        "execution_time": 1.5,
        "tests": [{"name": "a", "number": "1.1", "score": 1, "max_score": 1, "status": "passed"}],
        "leaderboard": [{"name": "acc", "value": 0.9, "order": "desc"}],
    }
    assert validate_results(good) == []
    assert any("output_format" in p for p in validate_results({"score": 0, "output": "x"}))
    bad = {
        "execution_time": "1.5",
        "visibility": "secret",
        "tests": [{"name": "a", "score": float("nan"), "status": "ok", "output": "x\r\n"}],
        "leaderboard": [{"name": "acc", "value": [1], "order": "up"}],
        "extra": 1,
    }
    problems = "\n".join(validate_results(bad))
    for expected in (
        "execution_time",
        "visibility",
        "not finite",
        "status",
        "\\r",
        "leaderboard[0].value",
        "leaderboard[0].order",
        "'extra' was unexpected",
    ):
        assert expected in problems  # fmt: skip


# ---- the zip ---------------------------------------------------------------------------


@pytest.fixture()
def toy(tmp_path: Path) -> homeworks.Homework:
    return make_toy(tmp_path / "toy")


def _build(hw: homeworks.Homework, out: Path, policy: AutograderPolicy | None = None) -> Path:
    return build_autograder(hw, out, policy=policy, hidden_seed=SEED).path


def test_zip_holds_what_gradescope_needs_and_nothing_secret(toy, tmp_path: Path) -> None:
    zip_path = _build(toy, tmp_path / "toy.zip", AutograderPolicy(rate_limit=RateLimit(3)))
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        for script in ("setup.sh", "run_autograder"):
            info = archive.getinfo(script)
            assert stat.S_IMODE(info.external_attr >> 16) & 0o111, f"{script} not executable"
            assert archive.read(script).startswith(b"#!/usr/bin/env bash\n")
        assert archive.read("grader/suites/hidden_seed.txt").decode().strip() == SEED
        config = json.loads(archive.read("autograder.json"))
        assert config["homework"] == "toyhw" and config["rate_limit"]["max_submissions"] == 3
        requirements = archive.read("requirements.txt").decode()
        assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
        pins = [line for line in requirements.splitlines() if line.startswith("torch==")]
        assert len(pins) == 1 and "+" not in pins[0], pins  # no +cpu / +cu128 local label
    assert "grader/suites/toyhw/test_toy.py" in names
    assert "assignments/toyhw/toyhw/ops.py" in names
    needed = {"env.sh", "pyproject.toml", "README.md", "grader/homeworks.py"}
    assert needed | {"datasets/coursedata/__init__.py", "grader/autograder/run.py"} <= names
    suites = {n.split("/")[2] for n in names if n.startswith("grader/suites/") and n.count("/") > 2}
    assert suites == {"toyhw"}, f"other homeworks' suites shipped: {suites}"
    assert not [n for n in names if n.startswith(("solutions/", "tests/", "tools/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".npy")]
    with zipfile.ZipFile(zip_path) as archive:  # the starter, not the solution
        assert b"clone" not in archive.read("assignments/toyhw/toyhw/ops.py")


def test_zip_is_reproducible(toy, tmp_path: Path) -> None:
    first = _build(toy, tmp_path / "a.zip").read_bytes()
    assert _build(toy, tmp_path / "b.zip").read_bytes() == first


def test_build_refuses_a_homework_without_suite(toy, tmp_path: Path) -> None:
    (toy.suite_dir / "test_toy.py").unlink()
    with pytest.raises(GraderError, match="no hidden suite"):
        _build(toy, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_cli_refuses_a_bad_policy_in_one_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"late": {"percent_per_day": 10}, "rate_limit": {"max": 3}}')
    out = tmp_path / "hw.zip"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "autograder", "hw1", "--policy", str(policy),
         "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "rate_limit: unknown key 'max'" in done.stderr
    assert not out.exists()


# ---- run_autograder ---------------------------------------------------------------------


def _unpack(zip_path: Path, root: Path) -> Path:
    """Lay the zip out as Gradescope does; returns the root."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # extractall drops permissions
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def _read_results(root: Path) -> dict:
    data = json.loads((root / "results" / "results.json").read_text())
    assert validate_results(data) == [], validate_results(data)
    return data


def test_unusable_submission_gets_a_visible_reason(toy, tmp_path: Path) -> None:
    root = _unpack(_build(toy, tmp_path / "toy.zip"), tmp_path / "ag")
    (root / "submission" / "garbage.bin").write_bytes(os.urandom(64))
    run_autograder(root)
    results = _read_results(root)
    assert results["score"] == 0
    assert [t["visibility"] for t in results["tests"]] == ["visible"]
    assert "no file of toyhw found" in results["tests"][0]["output"]


def test_rate_limited_submission_keeps_best_previous_score(toy, tmp_path: Path) -> None:
    policy = AutograderPolicy(rate_limit=RateLimit(max_submissions=1))
    root = _unpack(_build(toy, tmp_path / "toy.zip", policy), tmp_path / "ag")
    meta = _metadata(T0, previous=[(T0 - timedelta(hours=1), 2.0)])
    (root / "submission_metadata.json").write_text(json.dumps(meta))
    run_autograder(root)
    results = _read_results(root)
    assert stat.S_IMODE((root / "submission_metadata.json").stat().st_mode) == 0o600
    assert results["score"] == 2.0
    assert results["extra_data"]["rate_limited"] is True
    assert "Submission limit reached" in results["output"]


def test_grader_crash_still_writes_valid_results(toy, tmp_path: Path) -> None:
    root = _unpack(_build(toy, tmp_path / "toy.zip"), tmp_path / "ag")
    (root / "source" / "autograder.json").write_text("{broken")
    run_autograder(root)
    results = _read_results(root)
    assert results["score"] == 0
    visible, hidden = results["tests"]
    assert visible["name"] == "autograder failed, contact course staff"
    assert visible["visibility"] == "visible" and hidden["visibility"] == "hidden"
    assert "JSONDecodeError" in hidden["output"]


def test_wrapper_writes_results_when_python_cannot_start(toy, tmp_path: Path) -> None:
    root = _unpack(_build(toy, tmp_path / "toy.zip"), tmp_path / "ag")
    done = _run_script(root, extra_env={"GRADER_PYTHON": str(tmp_path / "no-such-python")})
    assert done.returncode != 0
    results = _read_results(root)
    assert results["tests"][0]["name"] == "autograder failed, contact course staff"


def _env(root: Path, cache: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable}
    if cache is not None:  # a calibration made under test load must not reach other runs
        env["GRADER_CACHE_DIR"] = str(cache / "cache")
    return env


def _run_script(
    root: Path,
    *,
    extra_env: dict[str, str] | None = None,
    timeout: float = 900,
    cgroup: MemoryCgroup | None = None,
):
    env = {**_env(root, root.parent), **(extra_env or {})}
    return subprocess.run(
        [str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
        timeout=timeout, preexec_fn=cgroup.enter if cgroup is not None else None,
    )  # fmt: skip


# ---- end to end through the real run_autograder script and engine ----------------------


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy autograder (10%-per-day late policy) unpacked into a Gradescope-like root."""
    tmp = tmp_path_factory.mktemp("toy-ag")
    hw = make_toy(tmp / "toy")
    policy = AutograderPolicy(late=LatePolicy(percent_per_day=10.0, max_days=3))
    return _unpack(_build(hw, tmp / "toy.zip", policy), tmp / "root")


def _submit(
    root: Path,
    package: Path,
    metadata: dict | None = None,
    env: dict[str, str] | None = None,
    cgroup: MemoryCgroup | None = None,
) -> dict:
    """Replace the submission (and its metadata), run run_autograder, return results.json."""
    shutil.rmtree(root / "submission")
    shutil.copytree(package, root / "submission" / package.name)
    meta = root / "submission_metadata.json"
    meta.unlink(missing_ok=True)
    if metadata is not None:
        meta.write_text(json.dumps(metadata))
    done = _run_script(root, extra_env=env, cgroup=cgroup)
    assert done.returncode == 0, done.stderr[-2000:]
    return _read_results(root)


@pytest.mark.slow
def test_toy_solution_full_marks_less_the_late_penalty(toy_root: Path) -> None:
    """One run covers both: every test passes (raw score = full marks), and the score is
    that less 20% for a submission 30 h past the due date (2 started days at 10%)."""
    solution = Path(__file__).parent / "autograder_toy" / "solution" / "toyhw"
    results = _submit(toy_root, solution, _metadata(DUE + timedelta(hours=30)))
    assert all(t["status"] == "passed" for t in results["tests"]), results["tests"]
    assert sum(t["score"] for t in results["tests"]) == pytest.approx(TOTAL_POINTS)
    assert results["extra_data"]["raw_score"] == pytest.approx(TOTAL_POINTS)
    assert results["score"] == pytest.approx(TOTAL_POINTS * 0.8)
    assert "2 days late" in results["output"]
    assert results["leaderboard"] == [{"name": "toy accuracy", "value": 1.0, "order": "desc"}]


@pytest.mark.slow
def test_toy_starter_scores_zero_with_reasons(toy_root: Path) -> None:
    starter = Path(__file__).parent / "autograder_toy" / "starter" / "toyhw"
    results = _submit(toy_root, starter, _metadata(T0))  # on time
    assert results["score"] == 0
    assert all("not implemented" in t["output"].lower() for t in results["tests"]), results
    assert "late" not in results["output"].lower()


@pytest.mark.slow
def test_toy_broken_hidden_suite_still_gives_valid_results(toy_root: Path, tmp_path) -> None:
    root = tmp_path / "root"
    shutil.copytree(toy_root, root, symlinks=True)
    suite = root / "source" / "grader" / "suites" / "toyhw" / "test_toy.py"
    suite.write_text(suite.read_text() + "\nraise RuntimeError('broken suite')\n")
    solution = Path(__file__).parent / "autograder_toy" / "solution" / "toyhw"
    results = _submit(root, solution)
    assert results["score"] == 0
    assert results["tests"][0]["name"] == "autograder failed, contact course staff"
    assert "broken suite" in results["tests"][1]["output"]
    assert "broken suite" not in results["tests"][0]["output"]  # details stay hidden


# ---- real homeworks ----------------------------------------------------------------------


def _landed(name: str) -> homeworks.Homework:
    """The homework, complete: a missing reference, suite or homework.toml fails the test."""
    hw = homeworks.get(name)
    assert not hw.problems(), hw.problems()
    return hw


@pytest.mark.parametrize("name", homeworks.available())
def test_homework_zip_ships_only_its_own_suite(name: str, tmp_path: Path) -> None:
    hw = _landed(name)
    info = build_autograder(hw, tmp_path / f"{name}.zip")
    names = set(info.members)
    assert f"grader/suites/{name}/" in {n[: len(f"grader/suites/{name}/")] for n in names}
    others = [n for n in names if n.startswith("grader/suites/") and n.count("/") > 2]
    assert all(n.startswith(f"grader/suites/{name}/") for n in others), others
    assert f"assignments/{name}/{name}/__init__.py" in names
    assert not [n for n in names if n.startswith(("solutions/", "tests/", "tools/"))]
    # The starter's files, never the solution's: compare with the committed starter.
    for rel in hw.whitelist():
        with zipfile.ZipFile(info.path) as archive:
            shipped = archive.read(f"assignments/{name}/{rel}")
        assert shipped == (hw.starter_dir / rel).read_bytes()


def _project_data_env() -> dict[str, str]:
    """Point the autograder at the project's generated data instead of generating its own
    (the sandbox user must be able to read it: tmp_path is private to root)."""
    import coursedata

    data, hidden = coursedata.default_root(), coursedata.default_hidden_root()
    if not (data / "images").is_dir() or not (hidden / "images").is_dir():
        pytest.skip(f"no generated data in {data} and {hidden}: run `make data` first")
    return {"COURSEDATA_DIR": str(data), "COURSEDATA_HIDDEN_DIR": str(hidden)}


@pytest.fixture(scope="module")
def homework_root(tmp_path_factory: pytest.TempPathFactory):
    """A homework's autograder unpacked and set up (setup.sh without pip, on the project's
    data), once per homework for this module."""
    roots: dict[str, Path] = {}

    def _root(name: str) -> Path:
        if name not in roots:
            hw = _landed(name)
            data_env = _project_data_env()
            tmp = tmp_path_factory.mktemp(f"{name}-ag")
            root = _unpack(build_autograder(hw, tmp / f"{name}.zip").path, tmp / "root")
            env = {**_env(root, tmp), **data_env, "GRADER_SETUP_SKIP_INSTALL": "1"}
            done = subprocess.run(
                [str(root / "source" / "setup.sh")],
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
            assert "setup: dataset images ready" in done.stdout and "calibrated" in done.stdout
            roots[name] = root
        return roots[name]

    return _root


SMALL_CONTAINER_BYTES = 1536 << 20  # 1.5 GiB: every reference must grade at full marks in it
NO_CGROUP = MemoryCgroup.unavailable()


@pytest.mark.slow
@pytest.mark.parametrize("name", homeworks.available())
def test_homework_autograder_gives_the_solution_full_marks(homework_root, name: str) -> None:
    if name == "hw3" and NO_CGROUP is None:
        pytest.skip("hw3 is graded in a 1.5 GiB memory cgroup by the test below")
    _assert_full_marks(_submit(homework_root(name), _solution(name), env=_project_data_env()))


@pytest.mark.slow
@pytest.mark.skipif(NO_CGROUP is not None, reason=f"no memory limit: {NO_CGROUP}")
def test_hw3_autograder_gives_full_marks_in_a_small_container(homework_root) -> None:
    """The whole run (parent, zygote, workers) under memory.max / limit_in_bytes 1.5 GiB."""
    with MemoryCgroup(limit_bytes=SMALL_CONTAINER_BYTES) as group:
        solved = _submit(
            homework_root("hw3"), _solution("hw3"), env=_project_data_env(), cgroup=group
        )
    _assert_full_marks(solved)
    assert group.oom_kills == 0


def _solution(name: str) -> Path:
    hw = homeworks.get(name)
    assert hw.solution_dir is not None
    return hw.solution_dir / name


def _assert_full_marks(solved: dict) -> None:
    failed = [(t["name"], t["output"][:300]) for t in solved["tests"] if t["status"] != "passed"]
    assert not failed, failed
    total = sum(t["max_score"] for t in solved["tests"])
    assert total > 0 and solved["score"] == pytest.approx(total)


@pytest.mark.slow
@pytest.mark.parametrize("name", homeworks.available())
def test_homework_autograder_gives_the_starter_zero(homework_root, name: str) -> None:
    hw = homeworks.get(name)
    started = _submit(homework_root(name), hw.starter_dir / name, env=_project_data_env())
    assert started["score"] == 0
    assert all(t["score"] == 0 for t in started["tests"])
    assert any("not implemented yet" in t["output"] for t in started["tests"])


SLEEPY_TEST = '''

def test_sleeps(student):
    """a hidden test that outlives the run limit"""
    import os, pathlib, time
    root = pathlib.Path(os.environ["GRADER_AUTOGRADER_ROOT"])
    (root / "results" / "sleeping").write_text("1")
    time.sleep(120)
'''


def _sleepy_root(tmp_path: Path, run_limit_minutes: float) -> Path:
    """The toy autograder with a hidden test that sleeps 2 minutes."""
    hw = make_toy(tmp_path / "toy")
    with open(hw.suite_dir / "test_toy.py", "a") as handle:
        handle.write(SLEEPY_TEST)
    policy = AutograderPolicy(run_limit_minutes=run_limit_minutes)
    root = _unpack(_build(hw, tmp_path / "toy.zip", policy), tmp_path / "root")
    shutil.copytree(hw.solution_dir / "toyhw", root / "submission" / "toyhw")
    return root


@pytest.mark.slow
def test_run_limit_writes_a_time_limit_result_before_the_kill(tmp_path: Path) -> None:
    # The watchdog fires 70 s after the start: time for the toy's other tests on a busy
    # machine, long before the sleeping test would end.
    sleepy_root = _sleepy_root(tmp_path, run_limit_minutes=1.5)
    done = _run_script(sleepy_root, timeout=200)
    assert done.returncode == 0, done.stderr[-2000:]
    results = _read_results(sleepy_root)
    assert results["extra_data"]["timed_out"] is True
    _assert_finished_tests_kept(results, "not run: the grading time limit (1.5 min) was reached")


@pytest.mark.slow
def test_sigterm_writes_a_result(tmp_path: Path) -> None:
    sleepy_root = _sleepy_root(tmp_path, run_limit_minutes=10)
    (sleepy_root / "results").mkdir()
    env = _env(sleepy_root, sleepy_root.parent)
    command = [sys.executable, "-m", "grader.autograder.run", "--root", str(sleepy_root)]
    proc = subprocess.Popen(command, cwd=sleepy_root / "source", env={
        **env, "PYTHONPATH": f"{sleepy_root / 'source'}:{sleepy_root / 'source' / 'datasets'}"
    }, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    marker = sleepy_root / "results" / "sleeping"
    try:
        for _ in range(600):
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the sleeping hidden test never started"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    results = _read_results(sleepy_root)
    assert results["extra_data"]["terminated"] is True
    _assert_finished_tests_kept(results, "not run: grading was stopped (SIGTERM)")


@pytest.mark.slow
def test_a_killed_grader_leaves_its_finished_tests(tmp_path: Path) -> None:
    """SIGKILL (the kernel's OOM killer, say) can't be caught: the wrapper falls back on the
    partial results kept after every test, flagged as the grader's problem."""
    sleepy_root = _sleepy_root(tmp_path, run_limit_minutes=10)
    env = _env(sleepy_root, sleepy_root.parent)
    wrapper = subprocess.Popen(
        [str(sleepy_root / "run_autograder")], cwd=sleepy_root, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    marker = sleepy_root / "results" / "sleeping"
    try:
        for _ in range(600):
            if marker.exists() or wrapper.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the sleeping hidden test never started"
        subprocess.run(["pkill", "-KILL", "-P", str(wrapper.pid)], check=False)
        wrapper.wait(timeout=30)
    finally:
        wrapper.kill()
    results = _read_results(sleepy_root)
    assert results["extra_data"]["autograder_error"] is True
    _assert_finished_tests_kept(results, "not run: grading was stopped before this test ran")
    assert not (sleepy_root / "results" / "results.json.partial").exists()


def _assert_finished_tests_kept(results: dict, not_run: str) -> None:
    """Every test that finished before the stop keeps its score; the rest say why not."""
    by_name = {t["name"]: t for t in results["tests"]}
    assert by_name["a hidden test that outlives the run limit"]["output"].startswith(not_run)
    finished = [t for t in results["tests"] if not t["output"].startswith("not run")]
    assert finished and results["score"] == sum(t["score"] for t in finished) > 0
    assert not validate_results(results)
