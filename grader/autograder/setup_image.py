"""What `setup.sh` does once the dependencies are installed, while the image is built:

    python -m grader.autograder.setup_image

creates the sandbox user, generates every dataset with the hidden split (from the seed
baked into the zip as grader/suites/hidden_seed.txt) and runs the speed calibration, so
no submission pays for them. Prints progress for the image build log.
"""

from __future__ import annotations

import sys
import time

from grader.autograder.build import read_hidden_seed
from grader.errors import GraderError
from grader.homeworks import PROJECT_ROOT

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    try:
        _create_sandbox_user()
        _generate_data(read_hidden_seed(PROJECT_ROOT))
        _calibrate()
    except GraderError as exc:
        print(f"setup: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _create_sandbox_user() -> None:
    from grader.engine.sandboxing import ensure_user, is_root

    if is_root():
        found, how = ensure_user()
        if found is None:
            raise GraderError(f"the sandbox user is needed when grading as root: {how}")
        print(f"setup: sandbox {how}", flush=True)


def _generate_data(seed: str) -> None:
    import coursedata

    for name in coursedata.DATASETS:
        started = time.monotonic()
        try:
            coursedata.generate(name, hidden_seed=seed, progress=False)
            problems = coursedata.check(name, hidden_seed=seed)
        except coursedata.DatasetError as exc:
            raise GraderError(str(exc)) from None
        if problems:
            raise GraderError(f"dataset {name} failed its check: {problems[0]}")
        print(f"setup: dataset {name} ready ({time.monotonic() - started:.0f} s)", flush=True)


def _calibrate() -> None:
    from grader.timing import calibrate, choose_device, default_threads

    device = choose_device()
    result = calibrate(device, default_threads(), force=True)
    print(f"setup: calibrated {device}: speed {result.speed:.2f} x reference", flush=True)


if __name__ == "__main__":
    sys.exit(main())
