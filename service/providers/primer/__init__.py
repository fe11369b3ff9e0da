"""Primer client sessions: ``POST``/``PATCH /client-session`` with ``X-Api-Key`` and ``X-Api-Version``."""
