"""Attack: symlink_output."""
