"""Attack: pickle_weights."""
