"""Toy homework for timed training."""
