"""Provider adapters: one folder each, wired up in ``registry.py``."""
