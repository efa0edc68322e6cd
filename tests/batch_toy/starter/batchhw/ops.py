def double(x: float) -> float:
    """Return 2 * x."""
    raise NotImplementedError("Task 1: double")
