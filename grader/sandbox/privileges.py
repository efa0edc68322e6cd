"""The dedicated unprivileged user and the file permissions that keep it out.

When the grader runs as root (Gradescope runs everything as root), each worker drops to
`grader-sandbox`, created on first use. Hidden suites, hidden labels, solutions and results
lose their "other" permission bits, so that user cannot read them even without the mount
layer (mounts.py). Without root neither step is possible; the probe says so.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

SANDBOX_USER = "grader-sandbox"


def is_root() -> bool:
    return os.geteuid() == 0


def lookup_user(name: str = SANDBOX_USER) -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def ensure_user(name: str = SANDBOX_USER) -> tuple[tuple[int, int] | None, str]:
    """(uid, gid) of the sandbox user, creating it when root; else (None, why not)."""
    found = lookup_user(name)
    if found is not None:
        return found, f"user {name} (uid {found[0]})"
    if not is_root():
        return None, "the grader is not running as root"
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    cmd = [
        useradd,
        "--system",
        "--no-create-home",
        "--user-group",
        "--shell",
        "/usr/sbin/nologin",
        "--home-dir",
        "/nonexistent",
        name,
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"cannot create user {name}: {exc}"
    found = lookup_user(name)
    if found is None:
        # Another grader may have created it at the same moment: the lookup decides.
        reason = (done.stderr or done.stdout).strip().splitlines()
        return None, f"cannot create user {name}: {reason[-1] if reason else 'useradd failed'}"
    return found, f"user {name} (uid {found[0]}, created)"


def drop_to(uid: int, gid: int) -> None:
    """Irreversibly become uid/gid with no supplementary groups (real, effective, saved)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError(f"privilege drop to uid {uid} did not take effect")


def interpreter_dirs() -> list[Path]:
    """Directories the worker must be able to traverse: Python's install and site-packages."""
    import sysconfig

    roots = {
        sys.base_prefix,
        sys.prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
    }
    return [Path(r) for r in sorted(roots)]


def open_traversal(dirs: Iterable[Path]) -> list[str]:
    """Add o+x (traverse, not list) to every ancestor of `dirs` lacking it; root only.

    A Python installed under a private home (/root/.pyenv) is otherwise unreachable for
    the sandbox user, and every lazy import in the worker fails. Returns what changed.
    """
    changed: list[str] = []
    if not is_root():
        return changed
    for d in dirs:
        for ancestor in [*reversed(Path(d).resolve().parents), Path(d).resolve()]:
            try:
                mode = stat.S_IMODE(ancestor.stat().st_mode)
            except OSError:
                break
            if not mode & 0o001:
                os.chmod(ancestor, mode | 0o001)
                changed.append(str(ancestor))
    return changed


def guard_process_memory() -> bool:
    """PR_SET_DUMPABLE=0 on this process: peers with the same uid can no longer ptrace it
    or open its /proc/<pid>/mem. Returns whether it took effect (Linux only)."""
    from grader.sandbox import syscalls

    try:
        syscalls.prctl(syscalls.PR_SET_DUMPABLE, 0)
    except OSError:
        return False
    return True


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def protect(paths: Iterable[str | Path]) -> dict[str, str]:
    """Remove "other" permissions from each existing path (root only); path -> outcome.

    The directory itself is enough: without o+x nobody outside owner and group can reach
    anything below it.
    """
    outcome: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        except OSError as exc:
            outcome[str(path)] = f"cannot stat: {exc.strerror}"
            continue
        if stat.S_ISLNK(st.st_mode):
            outcome[str(path)] = "is a symlink; not changed"
            continue
        mode = stat.S_IMODE(st.st_mode)
        if not mode & 0o007:
            outcome[str(path)] = "already closed to others"
        elif not is_root() and st.st_uid != os.geteuid():
            outcome[str(path)] = "not the owner; cannot chmod"
        else:
            os.chmod(path, mode & ~0o007)
            outcome[str(path)] = f"chmod o-rwx (was {mode:o})"
    return outcome


def readable_by(uid: int, gid: int, paths: Iterable[str | Path]) -> dict[str, bool]:
    """Whether uid/gid can list or read each existing path: checked in a forked child that
    really drops to that user (access() with real ids would also do, but this is the
    ground truth including ACLs)."""
    existing = [str(p) for p in paths if os.path.lexists(p)]
    if not existing:
        return {}
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        code = 0
        try:
            os.close(read_fd)
            drop_to(uid, gid)
            flags = "".join("1" if can_read(p) else "0" for p in existing)
            os.write(write_fd, flags.encode())
        except BaseException:  # noqa: BLE001 - the child must exit, whatever happened
            code = 1
        os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as fh:
        answer = fh.read().decode()
    os.waitpid(pid, 0)
    if len(answer) != len(existing):
        raise OSError(f"cannot check readability as uid {uid}: the probe child failed")
    return {p: flag == "1" for p, flag in zip(existing, answer, strict=True)}


def can_read(path: str) -> bool:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as fh:
                fh.read(1)
    except OSError:
        return False
    return True
