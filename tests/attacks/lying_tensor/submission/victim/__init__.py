"""Attack: lying_tensor."""
