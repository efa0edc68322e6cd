def double(x: float) -> float:
    """Return 2 * x."""
    return 2 * x
