"""Exceptions the grader raises, split by who is at fault.

`GraderError` is bad input from the person running the grader (an unknown homework, a
missing path, a corrupt zip): the CLI prints its message on one line and exits non-zero.

`StudentCodeError` and its subclasses are raised in the trusted parent when the student's
code, running in the sandboxed worker, fails. The engine turns them into a 0 for the test
with `student_message` as the reason; they never end the run.
"""

from __future__ import annotations


class GraderError(Exception):
    """A one-line, user-facing error: what was wrong and what to do."""


class StudentCodeError(Exception):
    """The student's code failed; `student_message` is safe to show the student."""

    def __init__(self, student_message: str, detail: str = "") -> None:
        super().__init__(student_message)
        self.student_message = student_message
        self.detail = detail  # longer text for -v: the student's own traceback


class GraderSideFailure(StudentCodeError):
    """A test could not be completed for a reason that is not the student's: the grading
    machine was overloaded, PyTorch itself crashed. The test scores 0 like any failure (the
    work was not seen), but the result is marked as the grader's problem
    (`extra_data["grader_side"]`, and `autograder_error` on the run) so that it does not
    count against the student's submissions and staff know to regrade."""

    grader_side = True


class NotImplementedYet(StudentCodeError):
    """A starter stub raised NotImplementedError."""


class StudentException(StudentCodeError):
    """The student's code raised an ordinary exception."""

    def __init__(self, student_message: str, detail: str = "", exc_type: str = "") -> None:
        super().__init__(student_message, detail)
        self.exc_type = exc_type


class MissingAttribute(StudentException):
    """A class or function the test needs is not in the student's module."""


class WorkerCrashed(StudentCodeError):
    """The worker process died (a signal, os._exit, sys.exit) before answering."""


class WorkerTimeout(StudentCodeError):
    """The worker did not answer within its time limit and was killed."""

    def __init__(self, student_message: str, limit_s: float, elapsed_s: float) -> None:
        super().__init__(student_message)
        self.limit_s = limit_s
        self.elapsed_s = elapsed_s


class InvalidValue(StudentCodeError):
    """A value the student's code returned failed the parent's checks (type, dtype, shape,
    finiteness, size)."""
