"""Mastercard Gateway (MPGS) sessions: ``POST``/``PUT …/merchant/{merchantId}/session`` with HTTP Basic auth.

Modules: ``wire`` (MPGS's JSON), ``transformers`` (request bodies and session replies, pure), ``payer`` (customer,
billing and shipping, pure), ``countries`` (ISO 3166 alpha-2 -> alpha-3), ``errors`` (error bodies, pure) and
``adapter`` (the calls).
"""

from __future__ import annotations

from typing import Final

from contracts.providers.mpgs import CreateMpgsSession

PROVIDER: Final = str(CreateMpgsSession.__struct_config__.tag)  # "mpgs"
