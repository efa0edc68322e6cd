"""Attack: exit_in_test."""
