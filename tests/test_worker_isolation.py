"""Two students graded at once cannot reach each other, and a worker can read nothing
secret: the allow-list view (grader/sandbox/view.py), as root and as an unprivileged user.

Run as a script (`python tests/test_worker_isolation.py DIR`) it prints the two-worker
result as JSON: the unprivileged test runs it as the tester user.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "attacks"))

from grader import sandbox  # noqa: E402
from grader.homeworks import PROJECT_ROOT  # noqa: E402
from grader.sandbox import view  # noqa: E402

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux layers")


def _attempts(mine: Path, other: Path, other_pids: list[int]) -> dict[str, bool]:
    """What one worker manages against its neighbour (every value must be False)."""
    got: dict[str, bool] = {}

    def tried(name: str, fn: Any) -> None:
        try:
            fn()
            got[name] = True
        except OSError:
            got[name] = False

    tried("read", lambda: (other / "secret.txt").read_text())
    tried("list", lambda: os.listdir(other))
    tried("write", lambda: (other / "pwned.txt").write_text("x"))
    tried("import", lambda: (other / "pkg" / "__init__.py").read_text())
    for pid in other_pids:
        tried(f"signal {pid}", lambda pid=pid: os.kill(pid, signal.SIGKILL))
    return got


def _worker(policy: sandbox.SandboxPolicy, mine: Path, other: Path, go: int, out: int) -> None:
    code = 0
    try:
        sandbox.enter_child(policy, mine)
        (Path("/tmp") / f"mark-{mine.name}").write_text("x")
        (Path("/dev/shm") / f"mark-{mine.name}").write_text("x")
        info = json.loads(os.read(go, 4096))  # after both wrote their marks
        seen = _attempts(mine, other, info["pids"])
        seen["tmp mark"] = (Path("/tmp") / f"mark-{other.name}").exists()
        seen["shm mark"] = (Path("/dev/shm") / f"mark-{other.name}").exists()
        seen["own scratch"] = not (mine / "secret.txt").is_file()  # must be readable: False
        result: Any = seen
    except BaseException as exc:  # noqa: BLE001 - report anything to the parent
        result, code = {"error": repr(exc)}, 1
    os.write(out, json.dumps(result).encode())
    os._exit(code)


def two_workers(base: Path) -> list[Any]:
    """Start two sandboxed workers at once; each attacks the other's scratch and pids."""
    policy = sandbox.default_policy(threads=1)
    scratch = []
    for name in ("alice", "bob"):
        d = Path(tempfile.mkdtemp(prefix=f"worker-{name}-", dir=base))
        (d / "secret.txt").write_text(f"{name}'s answer")
        (d / "pkg").mkdir()
        (d / "pkg" / "__init__.py").write_text("ANSWER = 1\n")
        if policy.uid is not None:
            for p in (d, d / "secret.txt", d / "pkg", d / "pkg" / "__init__.py"):
                os.chown(p, policy.uid, policy.gid or policy.uid)
        scratch.append(d)
    pipes, pids = [], []
    for i in range(2):
        go_r, go_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(go_w)
            os.close(out_r)
            _worker(policy, scratch[i], scratch[1 - i], go_r, out_w)
        os.close(go_r)
        os.close(out_w)
        pipes.append((go_w, out_r))
        pids.append(pid)
    import time

    time.sleep(1.0)  # both marks written (a late one only makes "mark" easier to see)
    results = []
    for i, (go_w, _) in enumerate(pipes):
        os.write(go_w, json.dumps({"pids": [pids[1 - i]]}).encode())
    for go_w, out_r in pipes:
        with os.fdopen(out_r, "rb") as fh:
            results.append(json.loads(fh.read() or b"null"))
        os.close(go_w)
    for pid in pids:
        os.waitpid(pid, 0)
    for d in scratch:
        assert not (d / "pwned.txt").exists()
        assert (d / "secret.txt").read_text().endswith("'s answer")
    return results


def _assert_isolated(results: list[Any]) -> None:
    for seen in results:
        assert seen and "error" not in seen, seen
        assert not any(seen.values()), seen  # not one attempt worked


@linux_only
def test_two_workers_cannot_read_write_or_signal_each_other(tmp_path: Path) -> None:
    base = Path(tempfile.mkdtemp(prefix="isolation-"))
    os.chmod(base, 0o711)
    try:
        _assert_isolated(two_workers(base))
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


@linux_only
@pytest.mark.skipif(os.geteuid() != 0, reason="drops to the tester user (needs root)")
def test_two_workers_isolated_when_the_grader_is_not_root() -> None:
    from attack_users import as_tester, ensure_tester, give_to_tester

    if ensure_tester() is None:
        pytest.skip("cannot create the tester user")
    base = Path(tempfile.mkdtemp(prefix="isolation-user-"))
    give_to_tester(base)
    try:
        done = subprocess.run(
            as_tester([sys.executable, "-I", __file__, str(base)]),
            capture_output=True, text=True, timeout=120, check=False,
            cwd=PROJECT_ROOT,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        _assert_isolated(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


def _secrets() -> list[bytes]:
    """What a worker must never find in a readable file: the hidden seed, its id, the
    hidden labels' sha256."""
    import coursedata
    from coursedata.registry import seed_id

    from grader.commands.data import hidden_seed

    found: list[bytes] = []
    seed = hidden_seed()
    if seed:
        found += [seed.encode(), seed_id(seed).encode()]
    hidden = Path(coursedata.default_hidden_root())
    for labels in hidden.glob("*/test_*.npy"):
        found.append(hashlib.sha256(labels.read_bytes()).hexdigest().encode())
    return found


def _readable_files() -> list[str]:
    """Every regular file the worker can open, outside the system and Python trees."""
    skip = {"/proc", "/sys", "/dev", *view.SYSTEM_DIRS, *view.python_paths()}
    found = []
    for root, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
        for name in files:
            path = os.path.join(root, name)
            if any(path.startswith(s.rstrip("/") + "/") for s in skip):
                continue
            try:
                with open(path, "rb"):
                    found.append(path)
            except OSError:
                pass
    return found


@linux_only
def test_a_worker_can_read_nothing_secret(tmp_path: Path) -> None:
    from test_sandbox import _workdir, run_sandboxed  # noqa: PLC0415

    data_dir = PROJECT_ROOT / "datasets" / "data"
    policy = dataclasses.replace(sandbox.default_policy(threads=1), readable_paths=str(data_dir))
    base = Path(tempfile.mkdtemp(prefix="visible-"))
    os.chmod(base, 0o711)
    try:
        readable, _ = run_sandboxed(_readable_files, policy, _workdir(base, policy))
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)
    assert isinstance(readable, list), readable
    allowed = [PROJECT_ROOT / "grader", PROJECT_ROOT / "datasets" / "coursedata", data_dir]
    for path in readable:
        assert any(Path(path).is_relative_to(a) for a in allowed), path
        assert not Path(path).is_relative_to(PROJECT_ROOT / "grader" / "suites"), path
        assert Path(path).name not in ("hidden_seed.txt", "test_labels.npy"), path
    secrets = _secrets()
    for path in readable:
        if os.path.getsize(path) < (1 << 20):
            text = Path(path).read_bytes()
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{path} holds {leaked}"


if __name__ == "__main__":
    print(json.dumps(two_workers(Path(sys.argv[1]))))
