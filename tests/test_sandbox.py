"""Unit tests of the sandbox layers, driven by forking a worker and calling enter_child
directly (no engine), as root and as an unprivileged user."""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from grader import sandbox
from grader.errors import InvalidValue
from grader.sandbox import kill, network, privileges

sys.path.insert(0, str(Path(__file__).parent / "attacks"))
from attack_users import as_tester, ensure_tester, give_to_tester  # noqa: E402

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux layers")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
PY = sys.executable


def _policy(**changes: Any) -> sandbox.SandboxPolicy:
    return dataclasses.replace(sandbox.default_policy(threads=1), **changes)


def _workdir(tmp_path: Path, policy: sandbox.SandboxPolicy) -> Path:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    if policy.uid is not None:
        os.chown(work, policy.uid, policy.gid or policy.uid)
    return work


def run_sandboxed(
    fn: Callable[[], Any], policy: sandbox.SandboxPolicy, workdir: Path
) -> tuple[Any, int]:
    """Fork, enter the sandbox, run fn; returns (fn's JSON result, waitpid status)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            sandbox.enter_child(policy, workdir)
            result: Any = fn()
        except BaseException as exc:  # noqa: BLE001 - report anything to the parent
            result, code = {"error": repr(exc)}, 1
        try:
            os.write(write_fd, json.dumps(result).encode())
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    return (json.loads(data) if data else None), status


def _marker_pids(marker: str) -> list[int]:
    """Live processes whose command line holds marker (sleepers this test started)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read():
                        with open(f"/proc/{entry}/stat") as st:
                            if st.read().rsplit(")", 1)[1].split()[0] != "Z":
                                pids.append(int(entry))
            except OSError:
                continue
    return pids


def _marker_alive(marker: str) -> bool:
    return bool(_marker_pids(marker))


@pytest.fixture
def marker() -> Iterator[str]:
    """A unique `sleep` argument; any sleeper still holding it is killed afterwards."""
    value = f"{2000 + os.getpid() % 1000}.{time.monotonic_ns() % 10**9}"
    yield value
    for pid in _marker_pids(value):
        os.kill(pid, signal.SIGKILL)


def _spawn_escapee(marker: str) -> None:
    """Fork a grandchild that calls setsid and execs `sleep marker`; return once it has
    (the pipe's write end is close-on-exec, so EOF means the exec happened)."""
    read_fd, write_fd = os.pipe()
    if os.fork() == 0:
        os.close(read_fd)
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["/bin/sleep", marker])
        os._exit(0)
    os.close(write_fd)
    os.read(read_fd, 1)
    os.close(read_fd)


# -- the layers inside a worker ---------------------------------------------------------


@linux_only
def test_worker_identity_limits_and_namespaces(tmp_path: Path) -> None:
    policy = _policy(max_file_bytes=1 << 20, max_open_files=64)
    workdir = _workdir(tmp_path, policy)

    def inside() -> dict[str, Any]:
        import resource

        return {
            "euid": os.geteuid(),
            "pid": os.getpid(),
            "cwd": os.getcwd(),
            "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[1],
            "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
            "groups": os.getgroups(),
            "caps": sandbox.syscalls.effective_capabilities(),
            "net": os.readlink("/proc/self/ns/net"),
        }

    seen, status = run_sandboxed(inside, policy, workdir)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert seen["cwd"] == str(workdir)
    assert seen["fsize"] == 1 << 20 and seen["nofile"] == 64
    assert seen["caps"] == 0
    assert seen["pid"] == 1, "the worker should be PID 1 of its own PID namespace"
    assert seen["net"] != os.readlink("/proc/self/ns/net")
    if os.geteuid() == 0:
        assert seen["euid"] == policy.uid and seen["euid"] != 0
        assert seen["groups"] in ([], [policy.gid])


@linux_only
def test_network_denied_but_unix_sockets_work(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    policy = _policy()

    def inside() -> dict[str, Any]:
        a, b = socket.socketpair(socket.AF_UNIX)
        a.sendall(b"x")
        return {
            "unix": b.recv(1) == b"x",
            "inet": network.inet_socket_allowed(),
            "loopback": network.can_reach_loopback(port, 0.5),
        }

    try:
        seen, status = run_sandboxed(inside, policy, _workdir(tmp_path, policy))
    finally:
        listener.close()
    assert seen == {"unix": True, "inet": False, "loopback": False}


@linux_only
def test_dataloader_workers_run_inside_the_sandbox(tmp_path: Path) -> None:
    """DataLoader worker processes (fork + AF_UNIX fd passing + /dev/shm) still work."""
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    policy = _policy()

    def inside() -> float:
        data = TensorDataset(torch.arange(64.0).view(32, 2))
        return sum(float(b.sum()) for (b,) in DataLoader(data, batch_size=4, num_workers=2))

    seen, status = run_sandboxed(inside, policy, _workdir(tmp_path, policy))
    assert seen == 2016.0, seen


@linux_only
def test_seccomp_filter_alone_blocks_inet_keeps_unix() -> None:
    """Where namespaces are refused, the seccomp filter is the whole network layer; it also
    refuses ptrace (a non-root grader shares the worker's uid)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            network.install_socket_filter()
            a, b = socket.socketpair(socket.AF_UNIX)
            traceme = ctypes.CDLL(None, use_errno=True).ptrace(0, 0, None, None)  # TRACEME
            flags = [_can_socket(socket.AF_INET), _can_socket(socket.AF_INET6),
                     a.fileno() > 0, traceme == 0]  # fmt: skip
            os.write(write_fd, json.dumps(flags).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        seen = json.loads(fh.read())
    os.waitpid(pid, 0)
    assert seen == [False, False, True, False]  # no inet, unix works, no ptrace


def _can_socket(family: int) -> bool:
    try:
        socket.socket(family, socket.SOCK_STREAM).close()
    except OSError:
        return False
    return True


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A world-traversable temp dir (pytest's tmp_path sits under a 0700 folder)."""
    path = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@linux_only
@pytest.mark.parametrize("hide", [True, False])
def test_hidden_paths_are_unreadable(open_dir: Path, hide: bool) -> None:
    secret = open_dir / "hidden"
    secret.mkdir(mode=0o755)
    (secret / "labels.npy").write_text("secret")
    os.chmod(secret / "labels.npy", 0o644)
    policy = _policy(hidden_paths=str(secret), hide_paths=hide, private_view=hide)

    def inside() -> dict[str, Any]:
        return {"read": privileges.can_read(str(secret / "labels.npy")),
                "list": privileges.can_read(str(secret))}  # fmt: skip

    seen, _ = run_sandboxed(inside, policy, _workdir(open_dir, policy))
    assert seen == {"read": not hide, "list": not hide}  # without the layer: readable
    assert (secret / "labels.npy").read_text() == "secret"  # the host's view is untouched


@linux_only
@pytest.mark.parametrize("how", ["exit7", "os_exit0"])
def test_relay_reports_the_workers_real_status(tmp_path: Path, how: str) -> None:
    policy = _policy()

    def inside() -> None:
        if how == "exit7":
            os._exit(7)
        os._exit(0)

    _, status = run_sandboxed(inside, policy, _workdir(tmp_path, policy))
    assert os.waitstatus_to_exitcode(status) == (7 if how == "exit7" else 0)


@linux_only
def test_relay_mirrors_a_fatal_signal(tmp_path: Path) -> None:
    policy = _policy()

    def inside() -> None:
        import ctypes
        import faulthandler

        faulthandler.disable()  # pytest's dump of the child's stack is noise here
        ctypes.string_at(0)  # a real segfault, which even PID 1 cannot ignore

    _, status = run_sandboxed(inside, policy, _workdir(tmp_path, policy))
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSEGV


@linux_only
@pytest.mark.parametrize("pid_namespace", [True, False], ids=["pidns", "subreaper"])
def test_kill_tree_reaches_setsid_grandchildren(
    tmp_path: Path, pid_namespace: bool, marker: str
) -> None:
    policy = _policy(pid_namespace=pid_namespace)
    workdir = _workdir(tmp_path, policy)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        sandbox.enter_child(policy, workdir)
        _spawn_escapee(marker)
        os.write(write_fd, b"ready")
        time.sleep(60)
        os._exit(0)
    os.close(write_fd)
    assert os.read(read_fd, 5) == b"ready"
    os.close(read_fd)
    assert _marker_alive(marker)
    sandbox.kill_tree(pid, policy)
    os.waitpid(pid, 0)
    deadline = time.monotonic() + 5
    while _marker_alive(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _marker_alive(marker)


@linux_only
@pytest.mark.parametrize("pid_namespace", [True, False], ids=["pidns", "subreaper"])
def test_relay_cleans_up_when_the_worker_exits(
    tmp_path: Path, pid_namespace: bool, marker: str
) -> None:
    policy = _policy(pid_namespace=pid_namespace)
    seen, status = run_sandboxed(lambda: _spawn_escapee(marker), policy,
                                 _workdir(tmp_path, policy))  # fmt: skip
    assert os.waitstatus_to_exitcode(status) == 0, seen
    time.sleep(0.1)
    assert not _marker_alive(marker)


def test_descendants_walks_parent_links() -> None:
    table = {10: (1, "S"), 11: (10, "S"), 12: (11, "Z"), 13: (12, "R"), 20: (1, "S")}
    assert kill.descendants(10, table) == [11, 13]


# -- files across the boundary ----------------------------------------------------------


def test_prepare_scratch_copies_only_whitelisted_regular_files(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    (sub / "hw").mkdir(parents=True)
    (sub / "hw" / "__init__.py").write_text("")
    (sub / "hw" / "models.py").write_text("x = 1")
    for planted in ("conftest.py", "sitecustomize.py", "torch.py", "evil.pth"):
        (sub / planted).write_text("raise SystemExit")
        (sub / "hw" / planted).write_text("raise SystemExit")
    (tmp_path / "secret").write_text("hidden")
    os.symlink(tmp_path / "secret", sub / "hw" / "utils.py")
    os.mkfifo(sub / "hw" / "data.py")
    whitelist = ["hw/__init__.py", "hw/models.py", "hw/utils.py", "hw/data.py"]
    dest = sandbox.prepare_scratch(sub, whitelist, tmp_path / "scratch")
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert copied == ["hw/__init__.py", "hw/models.py"]
    with pytest.raises(ValueError, match="relative path"):
        sandbox.prepare_scratch(sub, ["../secret"], tmp_path / "scratch2")


def test_read_worker_file_refuses_links_fifos_and_big_files(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"labels")
    out = tmp_path / "out"
    out.mkdir()
    (out / "ok.bin").write_bytes(b"12345")
    os.symlink(tmp_path / "secret", out / "link.bin")
    os.symlink(out, tmp_path / "outlink")
    os.mkfifo(out / "fifo")
    assert sandbox.read_worker_file(out / "ok.bin", max_bytes=5, root=tmp_path) == b"12345"
    with pytest.raises(InvalidValue, match="symbolic link"):
        sandbox.read_worker_file(out / "link.bin", max_bytes=100, root=tmp_path)
    with pytest.raises(InvalidValue, match="symbolic link"):
        sandbox.read_worker_file(tmp_path / "outlink" / "ok.bin", max_bytes=100, root=tmp_path)
    with pytest.raises(InvalidValue, match="not a regular file"):
        sandbox.read_worker_file(out / "fifo", max_bytes=100, root=tmp_path)
    with pytest.raises(InvalidValue, match="more than the 4"):
        sandbox.read_worker_file(out / "ok.bin", max_bytes=4, root=tmp_path)
    with pytest.raises(InvalidValue, match="does not exist"):
        sandbox.read_worker_file(out / "missing", max_bytes=4, root=tmp_path)


def test_write_atomic_replaces_a_planted_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "labels.npy"
    victim.write_text("keep")
    results = tmp_path / "results.json"
    os.symlink(victim, results)
    sandbox.write_atomic(results, '{"score": 0}')
    assert victim.read_text() == "keep"
    assert not results.is_symlink() and json.loads(results.read_text()) == {"score": 0}


def test_extract_submission_skips_unsafe_members(tmp_path: Path) -> None:
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("hw/models.py", "x = 1")
        zf.writestr("../escape.py", "bad")
        zf.writestr("/abs.py", "bad")
        link = zipfile.ZipInfo("hw/link.py")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("hw/bomb.py", b"\0" * (8 << 20))  # 8 MiB of zeros: a few KiB zipped
    dest = tmp_path / "out"
    notes = sandbox.extract_submission(archive, dest, max_member_bytes=1 << 20)
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert files == ["hw/models.py"]
    assert not (tmp_path / "escape.py").exists()
    assert len(notes) == 4 and any("larger than 1 MiB" in n for n in notes)


def test_worker_env_is_minimal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    monkeypatch.setenv("PYTHONPATH", "/home/student")
    env = sandbox.worker_env(3)
    assert "GITHUB_TOKEN" not in env and "PYTHONPATH" not in env
    assert env["OMP_NUM_THREADS"] == "3" and env["HOME"] == "/nonexistent"


def test_socket_filter_jumps_land_inside_the_program() -> None:
    arch = network.machine_arch()
    if arch is None:
        pytest.skip("no seccomp table for this machine")
    prog = network.build_socket_filter(arch)
    for i, (code, jt, jf, _k) in enumerate(prog):
        if code in (0x15, 0x35):
            assert i + 1 + max(jt, jf) < len(prog)
    assert prog[-1][0] == 0x06 and prog[-2][0] == 0x06


# -- root: user, permissions; and the grader run as an unprivileged user ---------------


@root_only
def test_protect_closes_paths_to_the_sandbox_user(open_dir: Path) -> None:
    ids, why = privileges.ensure_user()
    assert ids is not None, why
    secret = open_dir / "suite"
    secret.mkdir(mode=0o755)
    (secret / "test_x.py").write_text("hidden")
    assert privileges.readable_by(*ids, [secret]) == {str(secret): True}
    privileges.protect([secret])
    assert privileges.readable_by(*ids, [secret]) == {str(secret): False}


@linux_only
def test_probe_reports_layers_that_are_off() -> None:
    """The probe reports what the trial worker could do, not what was configured."""
    from grader.sandbox.probe import run_probe

    off = _policy(deny_network=False, pid_namespace=False, hide_paths=False, private_view=False)
    report = run_probe(off)
    assert "OPEN" in report.inactive["network"]
    for layer in ("network namespace", "pid namespace", "mount namespace"):
        assert layer in report.inactive, report.lines()
    assert "seccomp" in report.inactive


def _doctor(cmd_prefix: Callable[[list[str]], list[str]], cwd: Path) -> dict[str, Any]:
    cmd = cmd_prefix([PY, "-m", "grader", "doctor", "--json"])
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@linux_only
def test_doctor_reports_layers_as_this_user(tmp_path: Path) -> None:
    report = _doctor(lambda c: c, tmp_path)
    for layer in ("network", "pid namespace", "mount namespace", "seccomp", "hidden paths"):
        assert layer in report["active"], report
    if os.geteuid() == 0:
        assert "privileges" in report["active"], report


@linux_only
@root_only
def test_doctor_reports_layers_as_unprivileged_user(tmp_path: Path) -> None:
    assert ensure_tester() is not None, "cannot create the unprivileged tester user"
    give_to_tester(tmp_path)
    report = _doctor(as_tester, tmp_path)
    assert report["facts"]["grader user"] != "uid 0 (root)"
    assert "privileges" in report["inactive"]
    for layer in ("network", "pid namespace", "mount namespace", "hidden paths", "capabilities"):
        assert layer in report["active"], report
