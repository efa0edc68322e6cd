"""Network denial by seccomp: socket() is allowed for AF_UNIX only; no ptrace.

The network namespace (namespaces.py) is the first layer; this filter is the second, and
the only one where namespaces are not allowed. AF_UNIX stays open because DataLoader
workers and multiprocessing talk over Unix sockets. io_uring is refused too (it can open
sockets without the socket syscall), and so are foreign-ABI syscalls (i386 `int 0x80`,
x32), whose socketcall numbers the filter would not recognise. ptrace and
process_vm_readv/writev are refused as well: a worker has no business in another
process's memory (a non-root grader runs under the worker's own uid).

The BPF program is assembled here by hand; no libseccomp, no new dependency.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import socket
from dataclasses import dataclass

from grader.sandbox import syscalls

SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K

# struct seccomp_data offsets: nr (int), arch (u32), ip (u64), args[6] (u64, low word first
# on little-endian machines).
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16


@dataclass(frozen=True)
class _Arch:
    audit_arch: int
    socket: int
    socketpair: int
    io_uring_setup: int
    x32_bit: int | None  # syscall numbers at or above it are another ABI
    # ptrace, process_vm_readv, process_vm_writev: a worker never needs another
    # process's memory, and a non-root grader runs under the worker's own uid.
    denied: tuple[int, ...] = ()


_ARCHES = {
    "x86_64": _Arch(0xC000003E, 41, 53, 425, 0x40000000, (101, 310, 311)),
    "aarch64": _Arch(0xC00000B7, 198, 199, 425, None, (117, 270, 271)),
}


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def machine_arch() -> _Arch | None:
    return _ARCHES.get(platform.machine())


def build_socket_filter(arch: _Arch) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) tuples; jumps are relative to the next instruction."""
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    prog: list[tuple[int, int, int, int]] = [
        (_LD_W_ABS, 0, 0, _OFF_ARCH),
        (_JEQ_K, 1, 0, arch.audit_arch),
        (_RET_K, 0, 0, deny),  # a foreign ABI: refuse everything
        (_LD_W_ABS, 0, 0, _OFF_NR),
    ]
    if arch.x32_bit is not None:
        prog += [(_JGE_K, 0, 1, arch.x32_bit), (_RET_K, 0, 0, deny)]
    for nr in arch.denied:
        prog += [(_JEQ_K, 0, 1, nr), (_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM)]
    prog += [
        (_JEQ_K, 4, 0, arch.socket),  # -> check domain
        (_JEQ_K, 3, 0, arch.socketpair),  # -> check domain
        (_JEQ_K, 0, 1, arch.io_uring_setup),
        (_RET_K, 0, 0, deny),
        (_RET_K, 0, 0, SECCOMP_RET_ALLOW),  # every other syscall
        # check domain: args[0] must be AF_UNIX
        (_LD_W_ABS, 0, 0, _OFF_ARG0),
        (_JEQ_K, 0, 1, int(socket.AF_UNIX)),
        (_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        (_RET_K, 0, 0, deny),
    ]
    return prog


def install_socket_filter() -> None:
    """Install the filter on the calling thread and its future children (irreversible).

    Sets no_new_privs first, as the kernel requires of an unprivileged caller.
    """
    arch = machine_arch()
    if arch is None:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {platform.machine()}")
    prog = build_socket_filter(arch)
    filters = (_SockFilter * len(prog))(*[_SockFilter(*ins) for ins in prog])
    fprog = _SockFprog(len(prog), ctypes.cast(filters, ctypes.POINTER(_SockFilter)))
    syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
    syscalls.prctl(
        syscalls.PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_void_p(ctypes.addressof(fprog))
    )


def inet_socket_allowed() -> bool:
    """Whether this process may create an AF_INET socket (used by the probe)."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except OSError:
        return False
    return True


def can_reach_loopback(port: int, timeout_s: float = 0.5) -> bool:
    """Whether a TCP connect to 127.0.0.1:port succeeds (the probe's listener)."""
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return False
    with sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect(("127.0.0.1", port))
        except OSError:
            return False
    return True
