"""Apple Pay merchant sessions through Worldline: ``provider = "worldline-applepay"``. Single use: no update."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.command_base import CreateCommand, Customer, UpdateCommand
from contracts.types import Currency, Metadata, MinorUnits, ShortText, Url, WorldlineId


class ApplePayCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Apple Pay merchant validation. With ``client_session_id``, ``customer_id`` and ``client_api_url``
    from a prior Worldline session the client API is used; otherwise the server API."""

    validation_url: Url
    domain_name: ShortText
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    client_session_id: WorldlineId | None = None  # the GCS v1Client credential
    customer_id: WorldlineId | None = None  # a path segment of the client API URL
    client_api_url: Url | None = None


class CreateApplePaySession(CreateCommand, tag="worldline-applepay", frozen=True, kw_only=True):
    amount: MinorUnits | None = None
    currency: Currency | None = None
    customer: Customer | None = None
    metadata: Metadata | None = None
    options: ApplePayCreateOptions


class UpdateApplePaySession(UpdateCommand, tag="worldline-applepay", frozen=True, kw_only=True):
    """Apple Pay merchant sessions are single use: always answered with ``unsupported``."""

    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: Customer | UnsetType | None = UNSET
    metadata: Metadata | UnsetType | None = UNSET
