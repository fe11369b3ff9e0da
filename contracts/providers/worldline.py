"""Worldline Connect client sessions: ``provider = "worldline"``. Worldline has no session update.

Worldline's Create Session request (the SDK's ``SessionRequest``) takes only ``paymentProductFilters`` and
``tokens``: it has no amount, currency, order or customer, so these types carry none. ``order_id`` and
``correlation_id`` (the envelope) are copied to events and never sent to Worldline.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Struct

from contracts.command_base import CreateCommand, UpdateCommand
from contracts.types import ShortText


class PaymentProductFilter(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The SDK's ``PaymentProductFilter``. An empty list filters nothing and is not sent."""

    groups: Annotated[list[ShortText], msgspec.Meta(max_length=20)] = []  # Worldline knows one group: "cards"
    products: Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(max_length=200)] = []


class PaymentProductFilters(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The SDK's ``PaymentProductFiltersClientSession``; an exclusion wins over a restriction."""

    restrict_to: PaymentProductFilter | None = None
    exclude: PaymentProductFilter | None = None


class WorldlineCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    payment_product_filters: PaymentProductFilters | None = None
    tokens: Annotated[list[ShortText], msgspec.Meta(max_length=100)] = []  # stored tokens of this customer


class CreateWorldlineSession(CreateCommand, tag="worldline", frozen=True, kw_only=True):
    options: WorldlineCreateOptions = msgspec.field(default_factory=WorldlineCreateOptions)


class UpdateWorldlineSession(UpdateCommand, tag="worldline", frozen=True, kw_only=True):
    """Worldline has no session update: always answered with ``unsupported``. Only the envelope."""
