"""Attack: read_hidden."""
