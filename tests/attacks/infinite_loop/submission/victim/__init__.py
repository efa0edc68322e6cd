"""Attack: infinite_loop."""
