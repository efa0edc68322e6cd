"""The one exception type of `coursedata`: a user-facing, one-line problem with the data."""

from __future__ import annotations


class DatasetError(Exception):
    """Missing, corrupt or unreachable data; the message says what and what to do.

    Callers (the `grader data` CLI) print it on one line; it never needs a traceback.
    """
