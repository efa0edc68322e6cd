"""Attack: memory_bomb."""
