"""A throwaway single-node Slurm cluster, for the test that grades a batch on real Slurm.

    with SlurmCluster() as cluster:      # munged, slurmctld and slurmd, owned by this process
        os.environ.update(cluster.env)   # SLURM_CONF: sbatch, squeue and scancel talk to it
        ...

`unavailable()` says in one line why no cluster can be started here ("" when one can):
the Slurm or MUNGE binaries are missing (Debian: `apt-get install slurm-wlm munge`), or
this process is not root (slurmd must run as root to start jobs as their user).

Everything lives in one temporary folder: the MUNGE key and socket, slurm.conf, the
controller's state, slurmd's spool and the three daemons' logs (kept on failure and named
in the error). The configuration is the smallest that works in a container without
systemd or cgroups: proctrack/linuxproc, task/none, no accounting (no slurmdbd: `sacct`
fails and submitit's watcher falls back to "unknown"; the batch learns task states from
`squeue`), select/cons_tres over this machine's CPUs, free TCP ports, and short kill and
job-age timers so a cancelled task leaves the queue in seconds.

    python tests/slurm_cluster.py     # start one, print its SLURM_CONF, stop on Ctrl-C
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

DAEMONS = ("munged", "slurmctld", "slurmd", "slurmstepd")
CLIENTS = ("sbatch", "srun", "squeue", "scancel", "sinfo", "scontrol")
START_TIMEOUT_S = 60.0


def unavailable() -> str:
    """Why a throwaway cluster cannot be started here, in one line; "" when it can."""
    missing = [name for name in DAEMONS + CLIENTS if _which(name) is None]
    if missing:
        return (
            f"Slurm is not installed ({', '.join(missing)} not found); on Debian/Ubuntu: "
            "apt-get install slurm-wlm munge"
        )
    if os.geteuid() != 0:
        return "starting a throwaway Slurm cluster needs root (slurmd starts jobs as their user)"
    return ""


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SlurmError(RuntimeError):
    """The cluster did not come up; the message ends with the daemons' last log lines."""


class SlurmCluster:
    """munged + slurmctld + slurmd on this host, in a temporary folder; stopped on exit."""

    def __init__(self, cpus: int | None = None, root: Path | None = None) -> None:
        self.cpus = cpus or os.cpu_count() or 1
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="slurm-")) if root is None else root
        self.node = socket.gethostname().split(".")[0]
        self.conf = self.root / "slurm.conf"
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def env(self) -> dict[str, str]:
        """What a client (sbatch, squeue, scancel, a submitit executor) needs in its env."""
        return {"SLURM_CONF": str(self.conf)}

    def __enter__(self) -> SlurmCluster:
        why = unavailable()
        if why:
            raise SlurmError(why)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- starting ---------------------------------------------------------------------------

    def _start(self) -> None:
        self.root.chmod(0o755)  # munged wants every folder above its socket searchable
        for sub in ("munge", "state", "spool"):
            (self.root / sub).mkdir(mode=0o755, exist_ok=True)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        socket_path = self.root / "munge" / "munge.sock"
        self._spawn(
            "munged",
            "-F",
            f"--socket={socket_path}",
            f"--key-file={key}",
            f"--pid-file={self.root / 'munge' / 'munged.pid'}",
            f"--seed-file={self.root / 'munge' / 'munged.seed'}",
            f"--log-file={self.root / 'munged.log'}",
        )
        self._wait(lambda: socket_path.exists(), "munged did not create its socket")
        self.conf.write_text(self._config(socket_path))
        self._spawn("slurmctld", "-D", "-i", "-f", str(self.conf))
        self._wait(lambda: self._ok("scontrol", "ping"), "slurmctld did not answer")
        self._spawn("slurmd", "-D", "-N", self.node, "-f", str(self.conf))
        self._wait(self._node_idle, f"node {self.node} did not become idle")

    def _config(self, munge_socket: Path) -> str:
        r = self.root
        return f"""\
ClusterName=gradertest
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={r / "state"}
SlurmdSpoolDir={r / "spool"}
SlurmctldPidFile={r / "slurmctld.pid"}
SlurmdPidFile={r / "slurmd.pid"}
SlurmctldLogFile={r / "slurmctld.log"}
SlurmdLogFile={r / "slurmd.log"}
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=5
MinJobAge=10
SchedulerParameters=sched_interval=2
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
"""

    def _spawn(self, name: str, *args: str) -> None:
        exe = _which(name)
        assert exe is not None
        with open(self.root / f"{name}.out", "wb") as out:
            self._procs[name] = subprocess.Popen(
                [exe, *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, **self.env),
                start_new_session=True,
            )

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        end = time.monotonic() + START_TIMEOUT_S
        while not ready():
            dead = [n for n, p in self._procs.items() if p.poll() is not None]
            if dead or time.monotonic() > end:
                why = f"{dead[0]} exited" if dead else f"after {START_TIMEOUT_S:g} s"
                raise SlurmError(f"{what} ({why}); logs in {self.root}:\n{self.logs()}")
            time.sleep(0.2)

    def _ok(self, *cmd: str) -> bool:
        return self.run(*cmd, check=False).returncode == 0

    def _node_idle(self) -> bool:
        out = self.run("sinfo", "-h", "-N", "-o", "%N %t", check=False).stdout
        return f"{self.node} idle" in out

    # -- using ------------------------------------------------------------------------------

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A Slurm client command against this cluster (sinfo, squeue, scancel, ...)."""
        return subprocess.run(
            list(cmd),
            capture_output=True,
            text=True,
            timeout=30,
            check=check,
            env=dict(os.environ, **self.env),
        )

    def queue(self) -> dict[str, str]:
        """Every queued or running task: "12_3" -> "PENDING" / "RUNNING" / ..."""
        out = self.run("squeue", "-h", "-r", "-o", "%i %T").stdout
        return dict(line.split(maxsplit=1) for line in out.splitlines() if " " in line)

    def logs(self, lines: int = 15) -> str:
        """The last lines of each daemon's log, for failure messages."""
        parts = []
        for name in ("munged.log", "slurmctld.log", "slurmd.log", "slurmctld.out", "slurmd.out"):
            path = self.root / name
            if path.is_file():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {name}\n" + "\n".join(text))
        return "\n".join(parts)

    # -- stopping ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Cancel every job, stop the daemons, and remove the folder (if we made it)."""
        if "slurmctld" in self._procs and self._procs["slurmctld"].poll() is None:
            self.run("scancel", "--full", "--user", "root", check=False)
            end = time.monotonic() + 20
            while time.monotonic() < end and self._has_jobs():
                time.sleep(0.5)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self._procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._kill_stray_steps()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def _has_jobs(self) -> bool:
        result = self.run("squeue", "-h", "-o", "%i", check=False)
        return result.returncode == 0 and bool(result.stdout.strip())

    def _kill_stray_steps(self) -> None:
        """slurmstepd processes of this cluster that outlived slurmd (they hold its conf)."""
        marker = f"SLURM_CONF={self.conf}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if b"slurmstepd" not in (entry / "cmdline").read_bytes():
                    continue
                if marker not in (entry / "environ").read_bytes().split(b"\0"):
                    continue
                os.kill(int(entry.name), signal.SIGKILL)
            except (OSError, ValueError):
                continue


def main() -> int:
    why = unavailable()
    if why:
        print(why)
        return 1
    with SlurmCluster() as cluster:
        print(f"export SLURM_CONF={cluster.conf}   # Ctrl-C stops the cluster", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
