"""Attack: alarm."""
