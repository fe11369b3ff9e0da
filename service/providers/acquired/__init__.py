"""Acquired.com payment sessions: ``POST /v1/login`` for a Bearer token, then ``POST``/``PUT /v1/payment-sessions``.

Modules: ``wire`` (Acquired's JSON), ``transformers`` and ``customer`` (requests and replies, pure), ``errors``
(error bodies, pure), ``login`` (the login body and reply, pure), ``auth`` (the token cache) and ``adapter``
(the calls).
"""

from __future__ import annotations

from typing import Final

from contracts.providers.acquired import CreateAcquiredSession

PROVIDER: Final = str(CreateAcquiredSession.__struct_config__.tag)  # "acquired"
