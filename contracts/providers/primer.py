"""Primer client sessions: ``provider = "primer"``."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.command_base import CreateCommand, Customer, UpdateCommand
from contracts.types import CountryCode, Currency, Metadata, MinorUnits, ShortText, Text


class PrimerLineItem(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    item_id: ShortText
    description: Text | None = None
    amount: MinorUnits
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1


class PrimerPaymentMethod(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    vault_on_success: bool | None = None
    descriptor: ShortText | None = None


class PrimerCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    country_code: CountryCode | None = None
    line_items: Annotated[list[PrimerLineItem], msgspec.Meta(max_length=500)] | None = None
    payment_method: PrimerPaymentMethod | None = None


class PrimerUpdateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fields left out are unchanged; ``null`` clears a field at Primer."""

    country_code: CountryCode | UnsetType | None = UNSET
    line_items: Annotated[list[PrimerLineItem], msgspec.Meta(max_length=500)] | UnsetType | None = UNSET


class CreatePrimerSession(CreateCommand, tag="primer", frozen=True, kw_only=True):
    amount: MinorUnits | None = None
    currency: Currency | None = None
    customer: Customer | None = None
    metadata: Metadata | None = None
    options: PrimerCreateOptions = msgspec.field(default_factory=PrimerCreateOptions)


class UpdatePrimerSession(UpdateCommand, tag="primer", frozen=True, kw_only=True):
    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: Customer | UnsetType | None = UNSET
    metadata: Metadata | UnsetType | None = UNSET
    options: PrimerUpdateOptions = msgspec.field(default_factory=PrimerUpdateOptions)
