"""Attack: fork_bomb."""
