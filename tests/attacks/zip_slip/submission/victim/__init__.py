"""The victim homework: a toy package every attack in tests/attacks targets."""
