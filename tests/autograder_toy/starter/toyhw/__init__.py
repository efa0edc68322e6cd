"""Toy homework: two small functions."""
