"""Acquired.com payment sessions: ``provider = "acquired"``."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.command_base import CreateCommand, Customer, UpdateCommand
from contracts.types import AcquiredSessionId, Currency, Metadata, MinorUnits, ShortText, Url

ChallengePreference = Literal["challenge_mandated", "challenge_preferred", "no_challenge_requested", "no_preference"]
AcquiredPaymentMethod = Literal["card", "apple_pay", "google_pay"]


class TdsOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    is_active: bool = True
    challenge_preference: ChallengePreference = "no_preference"
    contact_url: Url | None = None
    redirect_url: Url | None = None
    webhook_url: Url | None = None


class AcquiredCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    capture: bool = True
    moto: bool = False
    custom1: ShortText | None = None
    tds: TdsOptions | None = None
    payment_methods: Annotated[list[AcquiredPaymentMethod], msgspec.Meta(max_length=3)] | None = None
    is_recurring: bool | None = None
    save_card: bool | None = None


class AcquiredUpdateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    capture: bool | UnsetType = UNSET
    custom1: ShortText | UnsetType | None = UNSET
    tds: TdsOptions | UnsetType = UNSET
    payment_methods: Annotated[list[AcquiredPaymentMethod], msgspec.Meta(max_length=3)] | UnsetType = UNSET
    is_recurring: bool | UnsetType = UNSET
    save_card: bool | UnsetType = UNSET


class CreateAcquiredSession(CreateCommand, tag="acquired", frozen=True, kw_only=True):
    amount: MinorUnits | None = None
    currency: Currency | None = None
    customer: Customer | None = None
    metadata: Metadata | None = None
    options: AcquiredCreateOptions = msgspec.field(default_factory=AcquiredCreateOptions)


class UpdateAcquiredSession(UpdateCommand, tag="acquired", frozen=True, kw_only=True):
    session_id: AcquiredSessionId  # narrowed: it is a path segment of PUT /v1/payment-sessions/{id}
    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: Customer | UnsetType | None = UNSET
    metadata: Metadata | UnsetType | None = UNSET
    options: AcquiredUpdateOptions = msgspec.field(default_factory=AcquiredUpdateOptions)
