"""Attack: plant_pth."""
