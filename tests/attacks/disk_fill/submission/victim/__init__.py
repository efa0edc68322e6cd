"""Attack: disk_fill."""
