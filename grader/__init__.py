"""The grading engine and course tooling (see docs/contracts.md)."""
