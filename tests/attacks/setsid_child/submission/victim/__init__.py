"""Attack: setsid_child."""
