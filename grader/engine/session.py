"""`GradingSession`: what one grading run shares: the homework, the submission, the device,
the zygote, and the scratch directories of its workers.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from pathlib import Path

from grader import sandbox
from grader.engine.client import DEFAULT_TEST_TIMEOUT_S, WorkerClient
from grader.engine.remote import RemotePackage
from grader.engine.zygote_client import shared_zygote
from grader.errors import GraderError, StudentCodeError
from grader.homeworks import PROJECT_ROOT, Homework
from grader.timing.device import device_type

OUTPUT_CAP_BYTES = 64 * 1024
PRELOADABLE = ("torchvision", "coursedata")  # safe to import in the zygote, slow in a worker
WORKER_START_LIMIT_S = 120.0  # sandbox set-up on a heavily loaded machine


class GradingSession:
    def __init__(
        self, homework: Homework, submission_root: Path, *, device: str, threads: int
    ) -> None:
        """`submission_root` holds `<package>/`. Workers' scratch copies and exchange folders
        live in a private temporary directory, removed by close()."""
        self.homework = homework
        self.submission_root = submission_root
        self.device = device
        self.threads = threads
        # Under the system temp dir, which every user may traverse (a pytest tmp_path or a
        # caller's folder might not be, and the worker may run as the sandbox user).
        self.workdir = Path(tempfile.mkdtemp(prefix="grader-run-"))
        self.data_dir, self.hidden_dir = _data_roots()
        self.policy = make_policy(device, threads, hidden=_hidden_paths(homework))
        if self.policy.uid is not None:
            self.workdir.chmod(0o711)  # the sandbox user may enter, not list
        self.notes: list[str] = []
        self._whitelist = homework.whitelist()
        self._modules = sorted(
            {Path(p).stem for p in self._whitelist if p.count("/") == 1} - {"__init__"}
        )
        self._counter = itertools.count(1)
        self._open: list[RemotePackage] = []
        self._spare: WorkerClient | None = None
        self.prefork = True
        # imports torch in parallel with the collection of the suite
        self._preload = heavy_imports(homework)
        self.zygote = shared_zygote(threads, self._preload)

    def spawn(self, time_limit_s: float | None = None, *, seed: int = 0) -> RemotePackage:
        """A fresh worker on a fresh scratch copy of the submission. Close it when done.

        The next worker is forked ahead of time (while this one's test runs), so a test
        does not wait for the sandbox set-up; each worker still serves exactly one test."""
        client, self._spare = self._spare, None
        try:
            client = self._started(client, seed)
        except (StudentCodeError, GraderError):
            # The spare may have died with a zygote killed since it was forked (out of
            # memory, say): one retry on a fresh worker from a live zygote.
            client = self._started(None, seed)
        finally:
            if self.prefork:
                self._spare = self._new_client()
        client.timeout_s = DEFAULT_TEST_TIMEOUT_S if time_limit_s is None else float(time_limit_s)
        student = RemotePackage(client, self.homework.package)
        self._open.append(student)
        return student

    def _started(self, client: WorkerClient | None, seed: int) -> WorkerClient:
        """`client` (or a new one) once it has answered its first request."""
        client = client or self._new_client()
        try:
            with client.time_limit(WORKER_START_LIMIT_S):  # not the test's limit: no student code
                client.request("seed", {"seed": int(seed)}, "the worker's start")
        except StudentCodeError as exc:  # no student code has run yet: an engine problem
            client.abandon()
            raise GraderError(f"a grading worker failed to start: {exc.student_message}") from None
        except GraderError:
            client.abandon()
            raise
        return client

    def _new_client(self) -> WorkerClient:
        if not self.zygote.alive:  # killed (out of memory?): later tests get a new one
            self.zygote = shared_zygote(self.threads, self._preload)
        n = next(self._counter)
        scratch = sandbox.prepare_scratch(
            self.submission_root, self._whitelist, self.workdir / f"worker-{n}"
        )
        self._give_to_worker(scratch)
        config = {
            "package": self.homework.package,
            "workdir": str(scratch),
            "device": self.device,
            "seed": 0,  # reseeded per test by spawn()
            "threads": self.threads,
            "modules": self._modules,
            "output_cap": OUTPUT_CAP_BYTES,
        }
        # CPU devices charge limits in the worker tree's CPU time; GPUs in wall time.
        cpu_threads = self.threads if device_type(self.device) == "cpu" else None
        return WorkerClient(self.zygote, config, self.policy, cpu_threads=cpu_threads)

    def exchange_dir(self) -> Path:
        """A fresh directory the test and its workers may all read and write."""
        path = self.workdir / f"exchange-{next(self._counter)}"
        path.mkdir()
        self._give_to_worker(path)
        return path

    def _give_to_worker(self, path: Path) -> None:
        if self.policy.uid is None:
            return
        gid = self.policy.gid if self.policy.gid is not None else self.policy.uid
        for root, dirs, files in os.walk(path):
            for name in [
                root,
                *(os.path.join(root, d) for d in dirs),
                *(os.path.join(root, f) for f in files),
            ]:
                os.chown(name, self.policy.uid, gid, follow_symlinks=False)

    def note(self, text: str) -> None:
        """Add a line to the report's top-level output."""
        if text not in self.notes:
            self.notes.append(text)

    def close(self) -> None:
        for student in self._open:
            student.close()
        self._open.clear()
        if self._spare is not None:
            self._spare.close()
            self._spare = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def heavy_imports(homework: Homework) -> tuple[str, ...]:
    """The slow-to-import packages the starter uses: the zygote imports them once."""
    pattern = re.compile(rf"^\s*(?:import|from)\s+({'|'.join(PRELOADABLE)})\b", re.MULTILINE)
    found: set[str] = set()
    for path in (homework.starter_dir / homework.package).rglob("*.py"):
        found.update(pattern.findall(path.read_text(errors="replace")))
    return tuple(sorted(found))


def make_policy(device: str, threads: int, hidden: tuple[Path, ...] = ()) -> sandbox.SandboxPolicy:
    """The sandbox's policy for this run; `hidden` are paths the worker must never see."""
    return sandbox.default_policy(device=device, threads=threads, hidden_paths=hidden)


def _hidden_paths(homework: Homework) -> tuple[Path, ...]:
    paths = [homework.suite_dir]
    if homework.solution_dir is not None:
        paths.append(homework.solution_dir)
    return tuple(paths)


def _data_roots() -> tuple[Path, Path]:
    try:
        import coursedata

        return Path(coursedata.default_root()), Path(coursedata.default_hidden_root())
    except (ImportError, AttributeError):
        return PROJECT_ROOT / "datasets" / "data", PROJECT_ROOT / "datasets" / "hidden"
