"""Worldline Connect client sessions: ``provider = "worldline"``. Worldline has no session update."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.command_base import CreateCommand, Customer, UpdateCommand
from contracts.types import Currency, Metadata, MinorUnits, ShortText


class PaymentProductFilter(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    groups: Annotated[list[ShortText], msgspec.Meta(max_length=20)] = []
    products: Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(max_length=200)] = []


class PaymentProductFilters(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    restrict_to: PaymentProductFilter | None = None
    exclude: PaymentProductFilter | None = None


class WorldlineCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    payment_product_filters: PaymentProductFilters | None = None
    tokens: Annotated[list[ShortText], msgspec.Meta(max_length=100)] = []


class CreateWorldlineSession(CreateCommand, tag="worldline", frozen=True, kw_only=True):
    amount: MinorUnits | None = None
    currency: Currency | None = None
    customer: Customer | None = None
    metadata: Metadata | None = None
    options: WorldlineCreateOptions = msgspec.field(default_factory=WorldlineCreateOptions)


class UpdateWorldlineSession(UpdateCommand, tag="worldline", frozen=True, kw_only=True):
    """Worldline has no session update: always answered with ``unsupported``."""

    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: Customer | UnsetType | None = UNSET
    metadata: Metadata | UnsetType | None = UNSET
