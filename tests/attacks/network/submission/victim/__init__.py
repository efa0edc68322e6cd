"""Attack: network."""
