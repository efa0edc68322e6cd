"""Attack: secret_files."""
