"""Attack: planted_files."""
