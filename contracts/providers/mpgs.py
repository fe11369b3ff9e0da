"""Mastercard Gateway (MPGS) sessions: ``provider = "mpgs"``."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.command_base import CreateCommand, Customer, UpdateCommand
from contracts.types import Currency, Metadata, MinorUnits, MpgsSessionId, ShortText, Text


class MpgsCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    authentication_limit: Annotated[int, msgspec.Meta(ge=0, le=25)] | None = None


class MpgsUpdateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    order_reference: ShortText | None = None
    order_description: Text | None = None
    session_version: Annotated[str, msgspec.Meta(max_length=10)] | None = None


class CreateMpgsSession(CreateCommand, tag="mpgs", frozen=True, kw_only=True):
    amount: MinorUnits | None = None
    currency: Currency | None = None
    customer: Customer | None = None
    metadata: Metadata | None = None
    options: MpgsCreateOptions = msgspec.field(default_factory=MpgsCreateOptions)


class UpdateMpgsSession(UpdateCommand, tag="mpgs", frozen=True, kw_only=True):
    session_id: MpgsSessionId  # narrowed: it is a path segment of PUT …/session/{id}
    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: Customer | UnsetType | None = UNSET
    metadata: Metadata | UnsetType | None = UNSET
    options: MpgsUpdateOptions = msgspec.field(default_factory=MpgsUpdateOptions)
