"""bpo's own durable write path: atomic files and an append-only journal (no Home Assistant imports).

Why our own: HA's ``helpers.storage.Store`` rewrites a whole file per save and its write hooks are
private (their signatures changed in 2025.12). Everything here goes through ``FileOps`` so tests can
crash the process at every write boundary.
"""
