"""Connectors: pure code that talks to the outside world's formats; no Home Assistant imports."""
