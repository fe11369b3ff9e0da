"""Worldline Connect: client sessions (``worldline``) and Apple Pay merchant sessions (``worldline-applepay``).

Both sign server API calls with v1HMAC (``signing``) and share the ``[accounts.<name>.worldline]`` table.
Modules: ``wire`` (Worldline's JSON), ``transformers`` (requests and replies, pure), ``errors`` (error bodies,
pure), ``urls`` and ``client_api`` (checks on the URLs a command brings, pure), ``signing``, ``server_api`` and
``adapter`` (the calls).
"""

from __future__ import annotations

from typing import Final

from contracts.providers.applepay import CreateApplePaySession
from contracts.providers.worldline import CreateWorldlineSession


def _tag(command: type[CreateWorldlineSession] | type[CreateApplePaySession]) -> str:
    tag = command.__struct_config__.tag
    assert isinstance(tag, str)
    return tag


WORLDLINE: Final = _tag(CreateWorldlineSession)  # "worldline"
APPLE_PAY: Final = _tag(CreateApplePaySession)  # "worldline-applepay"
