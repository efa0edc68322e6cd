"""The grading engine: a zygote that forks one sandboxed worker per test, the protocol
between them (JSON + raw array bytes, never pickle), remote handles on the student's
objects, and the pytest plugin that turns a hidden suite into a `GradeReport`.

Hidden suites use the `student` fixture and `grader.checks`; see docs/writing-tests.md.
"""

from grader.engine.client import DEFAULT_TEST_TIMEOUT_S, WorkerClient
from grader.engine.remote import (
    Gradients,
    RemoteModule,
    RemoteObject,
    RemotePackage,
    SubmoduleInfo,
)
from grader.engine.session import GradingSession

__all__ = [
    "DEFAULT_TEST_TIMEOUT_S",
    "Gradients",
    "GradingSession",
    "RemoteModule",
    "RemoteObject",
    "RemotePackage",
    "SubmoduleInfo",
    "WorkerClient",
]
