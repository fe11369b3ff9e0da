"""Apple Pay merchant sessions through Worldline: ``provider = "worldline-applepay"``. Single use: no update.

Worldline's request (``paymentProductSession302SpecificInput``) takes ``displayName``, ``domainName`` and
``validationUrl`` only: no amount, currency, order or customer, so these types carry none. ``order_id`` and
``correlation_id`` (the envelope) are copied to events and never sent to Worldline.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Struct

from contracts.command_base import CreateCommand, UpdateCommand
from contracts.types import ShortText, Url, WorldlineId


class ApplePayCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Apple Pay merchant validation. With ``client_session_id``, ``customer_id`` and ``client_api_url``
    from a prior Worldline session the client API is used (all three or none); otherwise the server API."""

    validation_url: Url
    domain_name: ShortText
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None  # optional at Worldline
    client_session_id: WorldlineId | None = None  # the GCS v1Client credential
    customer_id: WorldlineId | None = None  # a path segment of the client API URL
    client_api_url: Url | None = None


class CreateApplePaySession(CreateCommand, tag="worldline-applepay", frozen=True, kw_only=True):
    options: ApplePayCreateOptions


class UpdateApplePaySession(UpdateCommand, tag="worldline-applepay", frozen=True, kw_only=True):
    """Apple Pay merchant sessions are single use: always answered with ``unsupported``. Only the envelope."""
