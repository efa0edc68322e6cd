"""Attack: sleep_forever."""
