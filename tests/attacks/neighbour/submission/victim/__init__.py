"""Attack: neighbour."""
