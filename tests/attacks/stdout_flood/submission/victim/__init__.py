"""Attack: stdout_flood."""
