"""The adversarial submission catalog: what each attack does and what it must score.

Every attack is a submission of the victim homework under `<name>/submission/`. Scores are
exact and never above the honest solution's (1 point per test): an attack that would
only score by breaking the sandbox expects 0 there. Tests of the victim suite: "1" double,
"2" classify, "3.1" model_shape, "3.2" save_load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Attack:
    name: str
    what: str
    keyword: str  # pytest -k over the victim suite: the attacked tests plus a control
    expect: dict[str, float]  # test number -> exact score
    zip_extra: dict[str, bytes] = field(default_factory=dict)  # graded as a .zip with these
    error: str | None = None  # grading must refuse the submission with this message part

    @property
    def submission(self) -> Path:
        return HERE / self.name / "submission"


ATTACKS = [
    Attack("forged_results", "forge results.json/report files, print JSON, exit 0",
           "double or model_shape", {"1": 0, "3.1": 0}),
    Attack("exit_at_import", "sys.exit(0) at import", "double", {"1": 0}),
    Attack("exit_in_test", "os._exit(0) / sys.exit(0) inside graded calls",
           "double or classify or model_shape", {"1": 0, "2": 0, "3.1": 1}),
    Attack("alarm", "signal.alarm(0), SIGALRM/SIGTERM ignored, then loop forever",
           "double or model_shape", {"1": 0, "3.1": 1}),
    Attack("monkeypatch", "patch torch/numpy/builtins comparisons in the worker",
           "double or classify or model_shape", {"1": 0, "2": 0, "3.1": 1}),
    Attack("planted_files", "conftest.py, sitecustomize.py, .pth, ini files, shadow torch.py",
           "double or model_shape", {"1": 0, "3.1": 1}),
    Attack("symlink_output", "weights file is a symlink to the hidden labels",
           "save_load", {"3.2": 0}),
    Attack("read_hidden", "read hidden labels, hidden suite, solutions from disk",
           "double or classify or model_shape", {"1": 0, "2": 0, "3.1": 1}),
    Attack("network", "connect to a loopback listener and to TEST-NET 192.0.2.1",
           "classify", {"2": 0}),
    Attack("fork_bomb", "200 sleeping children (bounded fork bomb)", "double", {"1": 1}),
    Attack("memory_bomb", "allocate and touch memory without end",
           "double or model_shape", {"1": 0, "3.1": 1}),
    Attack("disk_fill", "write files without end", "double", {"1": 0}),
    Attack("infinite_loop", "busy loop", "double or model_shape", {"1": 0, "3.1": 1}),
    Attack("sleep_forever", "sleep without using CPU", "double", {"1": 0}),
    Attack("setsid_child", "a setsid + double-forked daemon outlives the worker",
           "double", {"1": 1}),
    Attack("lingering_thread", "a thread keeps running and forking after the answer",
           "double", {"1": 1}),
    Attack("lying_tensor", "tensor subclass with lying __eq__/__bool__/allclose",
           "double or classify", {"1": 0, "2": 0}),
    Attack("bad_values", "NaN/inf values, wrong dtype, meta-device tensor",
           "double or classify or model_shape", {"1": 0, "2": 0, "3.1": 0}),
    Attack("huge_output", "768 MiB tensor, 100k-deep nested list", "double or classify",
           {"1": 0, "2": 0}),
    Attack("pickle_weights", "pickle payload in the saved weights file", "save_load",
           {"3.2": 0}),
    Attack("stdout_flood", "8 MB to stdout, non-UTF-8 bytes on stdout and stderr",
           "double", {"1": 1}),
    Attack("zip_bomb", "a .zip with a 64 MiB member that compresses to 64 KiB", "double",
           {"1": 1}, zip_extra={"victim/weights.bin": b"\0" * (64 << 20)}),
    Attack("zip_slip", "a .zip whose member path climbs out with ../", "double", {},
           zip_extra={"../../escape-@@MARKER@@.py": b"print('escaped')"},
           error="leaves the zip"),
    Attack("secret_files", "read the rest of the project, the zygote log, metadata, the "
           "hidden split's fingerprints in public manifests", "double or model_shape",
           {"1": 0, "3.1": 1}),
    Attack("neighbour", "find, read and overwrite another worker's scratch; leave marks in "
           "/tmp and /dev/shm", "double or model_shape", {"1": 0, "3.1": 1}),
    Attack("plant_pth", ".pth in site-packages, sitecustomize.py, a module in the grader "
           "package", "double or model_shape", {"1": 0, "3.1": 1}),
    Attack("inherited_fds", "write into any regular file left open (the zygote log)",
           "double or model_shape", {"1": 0, "3.1": 1}),
]  # fmt: skip

BY_NAME = {a.name: a for a in ATTACKS}
