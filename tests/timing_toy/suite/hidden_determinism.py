"""Determinism suite of the timing toy (copied to test_determinism.py by make_toy): trains
the same submission three times in one grading session and compares the weights."""

import torch
from gradescope_utils.autograder_utils.decorators import weight

from grader.training import train_student


def _log(trained):
    lines = (trained.log_dir / "log.txt").read_text().splitlines()
    return dict(line.rsplit(" ", 1) for line in lines)


@weight(1)
def test_same_seed_same_weights(grader_session):
    """training twice with one seed gives bitwise-identical weights"""
    runs = [train_student(grader_session, budget_units=5, seed=s) for s in (0, 0, 1)]
    try:
        states = [run.require().state_dict() for run in runs]
        assert states[0].keys() == states[1].keys(), "the two runs have different parameters"
        for name in states[0]:
            assert torch.equal(states[0][name], states[1][name]), f"{name} differs between runs"
        assert any(not torch.equal(states[0][k], states[2][k]) for k in states[0]), (
            "a different seed gave the very same weights: is the seed passed on?"
        )
        logs = [_log(run) for run in runs]
        # What the engine set up inside the worker, as the student's code saw it.
        assert logs[0]["deterministic"] == "True", f"worker not deterministic: {logs[0]}"
        assert logs[0]["threads"] == str(grader_session.threads), f"thread count: {logs[0]}"
        assert [log["seed"] for log in logs] == ["0", "0", "1"], "seeds were not passed on"
        assert logs[0]["final loss"] == logs[1]["final loss"], "the losses differ"
    finally:
        for run in runs:
            run.close()
