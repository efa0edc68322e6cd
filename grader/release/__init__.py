"""The student release: build it, and prove it leaks nothing (`grader release`)."""

from grader.release.build import ReleaseInfo, build_release
from grader.release.leaks import check_release

__all__ = ["ReleaseInfo", "build_release", "check_release"]
