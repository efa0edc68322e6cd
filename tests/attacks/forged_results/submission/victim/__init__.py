"""Attack: forged_results."""
