"""Attack: monkeypatch."""
