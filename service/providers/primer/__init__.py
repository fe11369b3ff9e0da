"""Primer client sessions: ``POST``/``PATCH /client-session`` with ``X-Api-Key`` and ``X-Api-Version`` (API v2.4).

Modules: ``wire`` (Primer's JSON), ``transformers`` and ``parts`` (requests and replies, pure), ``errors`` (error
bodies, pure) and ``adapter`` (the calls). ``tests/providers/primer/`` holds Primer's documented examples.
"""

from __future__ import annotations

from typing import Final

from contracts.providers.primer import CreatePrimerSession

PROVIDER: Final = str(CreatePrimerSession.__struct_config__.tag)  # "primer"
