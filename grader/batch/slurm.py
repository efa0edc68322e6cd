"""Running jobs as a Slurm array through submitit, owned by the batch that submitted it.

    submit    one array, `parallel` tasks at once; its id is printed and recorded in
              <out>/slurm/arrays.json
    rerun     first reconciles: students whose recorded tasks are still queued or running
              are waited for, not submitted again
    stop      Ctrl-C / SIGTERM / the deadline cancels the array (scancel) and says so; a
              batch killed outright leaves it running, and the rerun picks it up
    vanished  a task that leaves the queue without a result (cancelled while pending or
              running, a failed node) is journaled as a grader-side failure, so it is
              retried, never waited on forever; unless its job had already committed, in
              which case that entry stands

Jobs hold absolute paths: the repository, its venv, the data and <out> must be on a
filesystem every node mounts at the same path. The task checks this on the node and
fails with a line naming the missing path.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from grader.batch.files import write_json
from grader.batch.jobs import Job
from grader.batch.journal import CorruptEntry, Journal
from grader.batch.local import Outcome
from grader.batch.process import settle, start_job, tail
from grader.batch.stop import Stop

_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b")
VANISHED_GRACE_S = 60.0  # squeue and the result file can lag each other this long


@dataclass(frozen=True)
class SlurmOptions:
    partition: str | None = None
    time_min: int = 40
    cpus: int = 2
    gpus: int = 0
    mem_gb: float = 8.0
    parallel: int = 64
    cluster: str | None = None  # None: Slurm; "local": submitit's local executor (tests)

    def submitit_parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "timeout_min": self.time_min,
            "cpus_per_task": self.cpus,
            "mem_gb": self.mem_gb,
            "slurm_array_parallelism": self.parallel,
        }
        if self.gpus:
            params["gpus_per_node"] = self.gpus
        if self.partition:
            params["slurm_partition"] = self.partition
        return params


def run_slurm(
    jobs: Sequence[Job],
    *,
    out: Path,
    options: SlurmOptions,
    stop: Stop | None = None,
    echo: Callable[[str], None] = lambda _line: None,
    progress: bool = True,
    poll_s: float = 5.0,
) -> Outcome:
    import submitit

    stop = stop or Stop()
    folder = out / "slurm"
    record = _Record(folder / "arrays.json")
    live = record.live_students() if options.cluster is None else {}
    for array_id, students in _group(live).items():
        echo(
            f"Slurm array {array_id} is still grading {len(students)} of these submissions: "
            "waiting for it instead of submitting them again"
        )
    todo = [job for job in jobs if job.student not in live]
    outcome = Outcome()
    handles: dict[Any, Job] = {}
    if todo:
        executor = submitit.AutoExecutor(folder=str(folder), cluster=options.cluster)
        executor.update_parameters(**_for_cluster(executor, options))
        submitted = executor.map_array(run_job_process, [job.to_json() for job in todo])
        handles = dict(zip(submitted, todo, strict=True))
        array_id = str(submitted[0].job_id).split("_")[0]
        record.add(array_id, {str(h.job_id): j.student for h, j in handles.items()})
        echo(
            f"submitted Slurm array {array_id}: {len(todo)} tasks, at most {options.parallel} "
            f"at once; logs in {folder}; `scancel {array_id}` stops it"
        )
    waiting = {student: job_id for student, job_id in live.items()}
    total = len(handles) + len(waiting)
    with tqdm(total=total, desc="grading (slurm)", unit="sub", disable=not progress) as bar:
        while handles or waiting:
            if stop.reason:
                break
            queue = _squeue_states() if options.cluster is None else None
            for handle, job in list(handles.items()):
                status = _finished(handle, job, queue)
                if status is not None:
                    del handles[handle]
                    outcome.statuses[job.student] = status
                    bar.update(1)
            for student, job_id in list(waiting.items()):
                if queue is not None and job_id not in queue:
                    del waiting[student]  # its task committed, or failed: the journal says
                    bar.update(1)
            if queue is not None:
                states = [queue.get(str(h.job_id), "") for h in handles]
                bar.set_postfix_str(
                    f"array {record.latest()}: {states.count('RUNNING')} running, "
                    f"{states.count('PENDING')} pending",
                    refresh=False,
                )
            if handles or waiting:
                time.sleep(poll_s)
    if handles:
        outcome.stopped = stop.reason
        outcome.unfinished = [job.student for job in handles.values()]
        for handle in handles:
            handle.cancel(check=False)
        echo(f"cancelled {len(handles)} Slurm tasks of array {record.latest()}")
    if record.latest():
        echo(f"Slurm array {record.latest()}; logs of failed tasks kept in {folder}")
    return outcome


def _for_cluster(executor: Any, options: SlurmOptions) -> dict[str, Any]:
    params = options.submitit_parameters()
    if options.cluster == "local":  # the local executor knows no Slurm-only parameters
        return {"timeout_min": options.time_min}
    return params


def _finished(handle: Any, job: Job, queue: dict[str, str] | None) -> str | None:
    """The task's status once it ended (cleaning its logs when graded), else None."""
    if handle.done():
        try:
            status = str(handle.result())
        except Exception as exc:  # noqa: BLE001 - the node failed: record it, go on
            why = f"the Slurm task failed: {_exception_line(str(exc))}"
            status = _settle_vanished(job, why)
        if status == "graded":
            _clean_logs(handle)
        return status
    if queue is None or str(handle.job_id) in queue:
        return None
    first_missing = getattr(handle, "_grader_missing_since", None)
    if first_missing is None:
        handle._grader_missing_since = time.monotonic()
        return None
    if time.monotonic() - first_missing < VANISHED_GRACE_S:
        return None
    why = "the Slurm task left the queue without a result (cancelled, or the node failed)"
    return _settle_vanished(job, why)


def _settle_vanished(job: Job, why: str) -> str:
    """A task that ended without its result: what its job committed, when it committed
    before the task was cancelled or its node failed (a grade is not thrown away and
    regraded), else a grader-side failure for `why`."""
    try:
        entry = Journal(Path(job.journal)).read(job.student)
    except CorruptEntry:
        entry = None
    if entry is not None and entry.run_id == job.run_id:
        return entry.status
    return settle(job, returncode=None, why=why)


def _exception_line(text: str) -> str:
    """The line naming the exception in submitit's report (not its header or log paths)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    named = [line for line in lines if _EXCEPTION_LINE.match(line)]
    return (named[-1] if named else lines[0] if lines else "no reason given")[:300]


def _clean_logs(handle: Any) -> None:
    paths = handle.paths
    for path in (paths.stdout, paths.stderr, paths.result_pickle, paths.submitted_pickle):
        Path(path).unlink(missing_ok=True)


def _squeue_states() -> dict[str, str] | None:
    """Queued and running tasks of this user: "123_4" -> "PENDING" / "RUNNING"; None when
    squeue cannot be asked (then nothing is declared vanished)."""
    try:
        out = subprocess.run(
            ["squeue", "--me", "-h", "-r", "-o", "%i %T"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return dict(line.split(maxsplit=1) for line in out.splitlines() if " " in line)


def _group(live: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for student, job_id in live.items():
        groups.setdefault(job_id.split("_")[0], []).append(student)
    return groups


class _Record:
    """<out>/slurm/arrays.json: every array this runs/ folder submitted, task -> student."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.arrays: dict[str, dict[str, str]] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.arrays = {}

    def add(self, array_id: str, tasks: dict[str, str]) -> None:
        self.arrays[array_id] = tasks
        write_json(self.path, self.arrays)

    def latest(self) -> str:
        return next(reversed(self.arrays), "")

    def live_students(self) -> dict[str, str]:
        """student -> task id, for recorded tasks still queued or running."""
        queue = _squeue_states()
        if not queue:
            return {}
        return {
            student: task
            for tasks in self.arrays.values()
            for task, student in tasks.items()
            if task in queue
        }


def run_job_process(job_json: str) -> str:
    """What runs on the node: check the shared paths, calibrate once per node, grade."""
    job = Job.from_json(job_json)
    missing = [p for p in job.paths() if not p.exists()]
    if missing:
        # The journal itself may be what is missing: then the submitting side records it.
        raise RuntimeError(
            f"{missing[0]} does not exist on node {socket.gethostname()}: the repository, its "
            "venv, the data and the runs folder must be on a filesystem shared by every node"
        )
    _calibrate_once_per_node(job)
    log = Path(job.journal).parent / "logs" / f"{job.key}.{os.getpid()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as handle:
        proc = start_job(job, handle)
    try:
        code = proc.wait(timeout=job.time_limit_s)
        status = settle(job, returncode=code, log_tail=tail(log))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        status = settle(
            job,
            returncode=None,
            why=f"grading took longer than {job.time_limit_s:g} s and was stopped",
        )
    log.unlink(missing_ok=True)
    return status


def _calibrate_once_per_node(job: Job) -> None:
    """One calibration cache per node under <out>/calibration/<host>/, measured by the
    first task on the node under a lock while the others wait and then read it."""
    from grader.batch.preflight import uses_timed_training
    from grader.timing.calibration import CACHE_ENV

    cache = Path(job.journal).parent / "calibration" / socket.gethostname()
    cache.mkdir(parents=True, exist_ok=True)
    os.environ[CACHE_ENV] = str(cache)  # inherited by the job process
    if not uses_timed_training(job.homework_spec()):
        return
    from grader.timing import choose_device
    from grader.timing.calibration import calibrate

    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        calibrate(choose_device(job.device), job.threads)
