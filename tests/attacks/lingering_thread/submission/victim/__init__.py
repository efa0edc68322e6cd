"""Attack: lingering_thread."""
