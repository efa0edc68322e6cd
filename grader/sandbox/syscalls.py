"""Thin ctypes wrappers for the Linux calls Python 3.11's `os` lacks.

unshare, mount, prctl and capset are all the sandbox needs; each raises OSError with the
C errno on failure, like the `os` functions do. On a non-Linux OS `libc` is None and every
wrapper raises OSError(ENOSYS), so the callers report the layer as unavailable.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36

_LINUX_CAPABILITY_VERSION_3 = 0x20080522
CAP_LAST_CAP_FALLBACK = 40


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None


libc = _load_libc()


def _check(result: int, what: str) -> int:
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def _need_libc(what: str) -> ctypes.CDLL:
    if libc is None:
        raise OSError(errno.ENOSYS, f"{what}: not available on {platform.system()}")
    return libc


def unshare(flags: int) -> None:
    _check(_need_libc("unshare").unshare(ctypes.c_int(flags)), f"unshare({flags:#x})")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    lib = _need_libc("mount")
    result = lib.mount(
        source.encode(),
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(result, f"mount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    lib = _need_libc("syscall")
    nr = _PIVOT_ROOT_NR.get(platform.machine())
    if nr is None:
        raise OSError(errno.ENOSYS, f"pivot_root: unknown syscall number on {platform.machine()}")
    _check(lib.syscall(ctypes.c_long(nr), new_root.encode(), put_old.encode()), "pivot_root")


def umount2(target: str, flags: int) -> None:
    _check(_need_libc("umount2").umount2(target.encode(), ctypes.c_int(flags)), f"umount {target}")


_PIVOT_ROOT_NR = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "s390x": 217}


def prctl(option: int, arg2: int = 0, arg3: int | ctypes.c_void_p = 0) -> int:
    lib = _need_libc("prctl")
    a3 = arg3 if isinstance(arg3, ctypes.c_void_p) else ctypes.c_ulong(arg3)
    return _check(
        lib.prctl(
            ctypes.c_int(option), ctypes.c_ulong(arg2), a3, ctypes.c_ulong(0), ctypes.c_ulong(0)
        ),
        f"prctl({option})",
    )


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return CAP_LAST_CAP_FALLBACK


def drop_all_capabilities() -> None:
    """Empty the bounding set, then the effective/permitted/inheritable sets.

    Bounding-set drops need CAP_SETPCAP, so they come first; capset with zeros always works.
    """
    for cap in range(last_cap() + 1):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError:
            break  # no CAP_SETPCAP: the zeroed sets below still remove every capability
    lib = _need_libc("capset")
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(lib.capset(ctypes.byref(header), data), "capset")


def effective_capabilities() -> int:
    """The CapEff mask of this process (0 when it holds none)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0
