"""Attack: huge_output."""
