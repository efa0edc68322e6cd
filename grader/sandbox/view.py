"""The worker's file system as an allow-list: a fresh, capped tmpfs becomes its "/".

Inside the worker's private mount namespace (root, or an unprivileged user namespace),
`build_view` mounts an empty tmpfs, pivots into it and binds back only what a worker needs:

    read-only   the system's programs and libraries (/usr, /bin, /lib*, /etc), /sys, the
                Python installation and each sys.path entry of the zygote (a source tree
                such as the project root only through its `grader` and `coursedata`
                packages), and the paths the session names (the public data)
    writable    the worker's own scratch copy, the session's exchange folder, and /tmp and
                /dev/shm, which live on the capped tmpfs itself
    devices     null, zero, full, random, urandom, and /dev/nvidia* for CUDA
    /proc       the worker's own PID namespace (the host's when there is none)

Everything else is absent, not merely unreadable: the rest of the project (.git, tests/,
dist/, tools/, caches), other workers' scratch copies, the host's /tmp and /dev/shm, home
folders, /autograder. The tmpfs belongs to the namespace, so whatever the worker leaves in
/tmp or /dev/shm disappears with it. The deny-list (`mounts.hide`) still covers hidden
trees inside an allowed one (grader/suites inside grader/).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import sys
from collections.abc import Iterable

from grader.sandbox import syscalls

OLD_ROOT = "/.oldroot"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")
DEVICES = ("null", "zero", "full", "random", "urandom")
SOURCE_PACKAGES = ("grader", "coursedata")  # what a worker imports from a source tree
_KEPT_FLAGS = (  # statvfs flag -> mount flag a read-only remount must keep (user namespaces)
    (os.ST_NOSUID, syscalls.MS_NOSUID),
    (os.ST_NODEV, syscalls.MS_NODEV),
    (os.ST_NOEXEC, syscalls.MS_NOEXEC),
    (os.ST_NOATIME, syscalls.MS_NOATIME),
    (os.ST_NODIRATIME, syscalls.MS_NODIRATIME),
    (os.ST_RELATIME, syscalls.MS_RELATIME),
)


def python_paths() -> list[str]:
    """What the interpreter may import from: its prefixes and sys.path, where an entry
    outside every prefix and not a site-packages folder (a source checkout on the path)
    contributes only its `grader` and `coursedata` packages."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    out = [*sorted(prefixes), os.path.dirname(os.path.realpath(sys.executable))]
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        real = os.path.realpath(entry)
        installed = os.path.basename(real) in ("site-packages", "dist-packages")
        if installed or _under_any(real, prefixes):
            out.append(real)
            continue
        out += [
            os.path.join(real, name)
            for name in SOURCE_PACKAGES
            if os.path.isdir(os.path.join(real, name))
        ]
    # An editable install finds these packages through an import hook, not sys.path: add
    # the folders they were really imported from (a later lazy import reads them too).
    for name in SOURCE_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            out.append(os.path.dirname(os.path.realpath(spec.origin)))
    return out


def _under_any(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _outermost(paths: Iterable[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths if p}):
        if not _under_any(path, kept):
            kept.append(path)
    return kept


def build_view(
    *,
    readable: Iterable[str],
    writable: Iterable[str],
    size_bytes: int,
    inodes: int,
    own_proc: bool,
) -> None:
    """Pivot into a fresh tmpfs holding only the allowed paths. Raises OSError; once it
    has pivoted, a later failure leaves the worker with less, never more, than asked."""
    readable = [*SYSTEM_DIRS, *python_paths(), *readable]
    syscalls.mount("none", "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE, None)
    base = "/tmp"  # any existing directory: the new root is mounted on it, then pivoted
    options = f"size={size_bytes},nr_inodes={inodes},mode=0755"
    syscalls.mount("tmpfs", base, "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NODEV, options)
    try:
        os.mkdir(base + OLD_ROOT)
        syscalls.pivot_root(base, base + OLD_ROOT)
    except OSError:
        syscalls.umount2(base, syscalls.MNT_DETACH)  # give the scratch under /tmp back
        raise
    os.chdir("/")
    for shared in ("/tmp", "/dev/shm"):
        os.makedirs(shared, exist_ok=True)
        os.chmod(shared, 0o1777)
    _mount_proc(own_proc)
    _devices()
    for path in _outermost(os.path.realpath(p) for p in readable):
        _bind(path, writable=False)
    for path in _outermost(os.path.realpath(p) for p in writable):
        _bind(path, writable=True)
    syscalls.umount2(OLD_ROOT, syscalls.MNT_DETACH)
    os.rmdir(OLD_ROOT)


def _mount_proc(own: bool) -> None:
    os.mkdir("/proc")
    if own:
        flags = syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC
        try:
            syscalls.mount("proc", "/proc", "proc", flags, None)
            return
        except OSError:
            pass
    syscalls.mount(OLD_ROOT + "/proc", "/proc", None, syscalls.MS_BIND | syscalls.MS_REC, None)


def _devices() -> None:
    os.makedirs("/dev", exist_ok=True)
    links = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1"}
    for name, target in {**links, "stderr": "/proc/self/fd/2"}.items():
        os.symlink(target, f"/dev/{name}")
    nodes = [f"/dev/{n}" for n in DEVICES] + [
        p.removeprefix(OLD_ROOT) for p in glob.glob(OLD_ROOT + "/dev/nvidia*")
    ]
    for node in nodes:
        if os.path.exists(OLD_ROOT + node):
            _bind(node, writable=True)


def _bind(path: str, *, writable: bool) -> None:
    """Bind OLD_ROOT/path onto path in the new root; a missing source is skipped."""
    source = OLD_ROOT + path
    if os.path.islink(source):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.lexists(path):
            os.symlink(os.readlink(source), path)
        return
    if not os.path.exists(source):
        return
    if os.path.isdir(source):
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
    syscalls.mount(source, path, None, syscalls.MS_BIND | syscalls.MS_REC, None)
    if not writable:
        remount_readonly(path)  # must hold: a non-root worker owns the venv it could edit
        for point in _mounts_under(path)[1:]:
            try:
                remount_readonly(point)
            except OSError:
                pass  # a submount a user namespace keeps locked; other owners' files anyway


def _mounts_under(path: str) -> list[str]:
    """Mount points at or below `path` (a recursive bind brings submounts, e.g. /sys/fs/*)."""
    points = [path]  # first: the bind itself
    try:
        with open("/proc/self/mountinfo") as fh:
            for line in fh:
                point = line.split()[4].replace("\\040", " ")
                if point != path and point.startswith(path.rstrip("/") + "/"):
                    points.append(point)
    except OSError:
        pass
    return points


def remount_readonly(path: str) -> None:
    """Make the mount at `path` read-only, keeping the flags a user namespace locks."""
    st = os.statvfs(path)
    keep = 0
    for st_flag, ms_flag in _KEPT_FLAGS:
        if st.f_flag & st_flag:
            keep |= ms_flag
    flags = syscalls.MS_BIND | syscalls.MS_REMOUNT | syscalls.MS_RDONLY | keep
    syscalls.mount("none", path, None, flags, None)
