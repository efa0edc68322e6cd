"""Attack: inherited_fds."""
