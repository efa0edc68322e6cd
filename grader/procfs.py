"""Reading a process's /proc/<pid>/stat, shared by the sandbox (kill trees) and the engine
(CPU time and memory of a worker tree)."""

from __future__ import annotations


def stat_fields(pid: int | str) -> list[bytes] | None:
    """The fields of /proc/<pid>/stat after the command name, from the state on (so index
    1 is the ppid, 11-14 utime stime cutime cstime, 21 rss in pages: proc(5) minus 3);
    None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and ") ", so split after the last ")".
    return raw[raw.rfind(b")") + 2 :].split()
