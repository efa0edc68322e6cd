"""Toy homework for the engine's own tests."""
