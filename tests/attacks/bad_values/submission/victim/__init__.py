"""Attack: bad_values."""
