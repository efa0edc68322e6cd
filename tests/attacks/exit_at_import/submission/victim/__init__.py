"""Attack: exit_at_import."""
