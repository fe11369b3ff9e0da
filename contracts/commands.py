"""Commands: ``session.create`` and ``session.update``.

Each command is a tagged union on ``provider``; the tag selects the typed ``options``. Commands are
strict (unknown fields are refused) because a misspelt option silently ignored is a wrong payment page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.types import (
    AccountName,
    CommandId,
    CountryCode,
    Currency,
    Metadata,
    MinorUnits,
    OrderId,
    SessionId,
    ShortText,
    Text,
    Url,
)

_STRICT = {"frozen": True, "kw_only": True, "forbid_unknown_fields": True}


class Address(Struct, **_STRICT):  # type: ignore[call-arg]
    line1: Text | None = None
    line2: Text | None = None
    city: ShortText | None = None
    postal_code: ShortText | None = None
    state: ShortText | None = None
    country_code: CountryCode | None = None


class Customer(Struct, **_STRICT):  # type: ignore[call-arg]
    id: ShortText | None = None
    email: ShortText | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    phone: ShortText | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None


# --- per-provider options --------------------------------------------------------------------------


class PrimerLineItem(Struct, **_STRICT):  # type: ignore[call-arg]
    item_id: ShortText
    description: Text | None = None
    amount: MinorUnits
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1


class PrimerPaymentMethod(Struct, **_STRICT):  # type: ignore[call-arg]
    vault_on_success: bool | None = None
    descriptor: ShortText | None = None


class PrimerCreateOptions(Struct, **_STRICT):  # type: ignore[call-arg]
    country_code: CountryCode | None = None
    line_items: Annotated[list[PrimerLineItem], msgspec.Meta(max_length=500)] | None = None
    payment_method: PrimerPaymentMethod | None = None


class PrimerUpdateOptions(Struct, **_STRICT):  # type: ignore[call-arg]
    """Fields left out are unchanged; ``null`` clears a field at Primer."""

    country_code: CountryCode | None | UnsetType = UNSET
    line_items: Annotated[list[PrimerLineItem], msgspec.Meta(max_length=500)] | None | UnsetType = UNSET


class PaymentProductFilter(Struct, **_STRICT):  # type: ignore[call-arg]
    groups: Annotated[list[ShortText], msgspec.Meta(max_length=20)] = []
    products: Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(max_length=200)] = []


class PaymentProductFilters(Struct, **_STRICT):  # type: ignore[call-arg]
    restrict_to: PaymentProductFilter | None = None
    exclude: PaymentProductFilter | None = None


class WorldlineCreateOptions(Struct, **_STRICT):  # type: ignore[call-arg]
    payment_product_filters: PaymentProductFilters | None = None
    tokens: Annotated[list[ShortText], msgspec.Meta(max_length=100)] = []


class ApplePayCreateOptions(Struct, **_STRICT):  # type: ignore[call-arg]
    """Apple Pay merchant validation. With ``client_session_id``, ``customer_id`` and ``client_api_url``
    from a prior Worldline session the client API is used; otherwise the server API."""

    validation_url: Url
    domain_name: ShortText
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    client_session_id: ShortText | None = None
    customer_id: ShortText | None = None
    client_api_url: Url | None = None


class MpgsCreateOptions(Struct, **_STRICT):  # type: ignore[call-arg]
    authentication_limit: Annotated[int, msgspec.Meta(ge=0, le=25)] | None = None


class MpgsUpdateOptions(Struct, **_STRICT):  # type: ignore[call-arg]
    order_reference: ShortText | None = None
    order_description: Text | None = None
    session_version: Annotated[str, msgspec.Meta(max_length=10)] | None = None


ChallengePreference = Literal["challenge_mandated", "challenge_preferred", "no_challenge_requested", "no_preference"]


class TdsOptions(Struct, **_STRICT):  # type: ignore[call-arg]
    is_active: bool = True
    challenge_preference: ChallengePreference = "no_preference"
    contact_url: Url | None = None
    redirect_url: Url | None = None
    webhook_url: Url | None = None


AcquiredPaymentMethod = Literal["card", "apple_pay", "google_pay"]


class AcquiredCreateOptions(Struct, **_STRICT):  # type: ignore[call-arg]
    capture: bool = True
    moto: bool = False
    custom1: ShortText | None = None
    tds: TdsOptions | None = None
    payment_methods: Annotated[list[AcquiredPaymentMethod], msgspec.Meta(max_length=3)] | None = None
    is_recurring: bool | None = None
    save_card: bool | None = None


class AcquiredUpdateOptions(Struct, **_STRICT):  # type: ignore[call-arg]
    capture: bool | UnsetType = UNSET
    custom1: ShortText | None | UnsetType = UNSET
    tds: TdsOptions | UnsetType = UNSET
    payment_methods: Annotated[list[AcquiredPaymentMethod], msgspec.Meta(max_length=3)] | UnsetType = UNSET
    is_recurring: bool | UnsetType = UNSET
    save_card: bool | UnsetType = UNSET


# --- session.create --------------------------------------------------------------------------------


class _CreateBase(Struct, tag_field="provider", **_STRICT):  # type: ignore[call-arg]
    command_id: CommandId
    account: AccountName = "default"
    order_id: OrderId | None = None
    amount: MinorUnits | None = None
    currency: Currency | None = None
    customer: Customer | None = None
    metadata: Metadata | None = None
    correlation_id: ShortText | None = None
    issued_at: datetime | None = None


class CreatePrimerSession(_CreateBase, tag="primer"):
    options: PrimerCreateOptions = msgspec.field(default_factory=PrimerCreateOptions)


class CreateWorldlineSession(_CreateBase, tag="worldline"):
    options: WorldlineCreateOptions = msgspec.field(default_factory=WorldlineCreateOptions)


class CreateApplePaySession(_CreateBase, tag="worldline-applepay"):
    options: ApplePayCreateOptions


class CreateMpgsSession(_CreateBase, tag="mpgs"):
    options: MpgsCreateOptions = msgspec.field(default_factory=MpgsCreateOptions)


class CreateAcquiredSession(_CreateBase, tag="acquired"):
    options: AcquiredCreateOptions = msgspec.field(default_factory=AcquiredCreateOptions)


CreateSession = (
    CreatePrimerSession | CreateWorldlineSession | CreateApplePaySession | CreateMpgsSession | CreateAcquiredSession
)

# --- session.update --------------------------------------------------------------------------------


class _UpdateBase(Struct, tag_field="provider", **_STRICT):  # type: ignore[call-arg]
    """Fields left out are unchanged. ``session_id`` is ``session.id`` from ``session.created``."""

    command_id: CommandId
    account: AccountName = "default"
    session_id: SessionId
    order_id: OrderId | UnsetType = UNSET
    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: Customer | None | UnsetType = UNSET
    metadata: Metadata | None | UnsetType = UNSET
    correlation_id: ShortText | None = None
    issued_at: datetime | None = None


class UpdatePrimerSession(_UpdateBase, tag="primer"):
    options: PrimerUpdateOptions = msgspec.field(default_factory=PrimerUpdateOptions)


class UpdateWorldlineSession(_UpdateBase, tag="worldline"):
    """Worldline has no session update: always answered with ``unsupported``."""


class UpdateApplePaySession(_UpdateBase, tag="worldline-applepay"):
    """Apple Pay merchant sessions are single use: always answered with ``unsupported``."""


class UpdateMpgsSession(_UpdateBase, tag="mpgs"):
    options: MpgsUpdateOptions = msgspec.field(default_factory=MpgsUpdateOptions)


class UpdateAcquiredSession(_UpdateBase, tag="acquired"):
    options: AcquiredUpdateOptions = msgspec.field(default_factory=AcquiredUpdateOptions)


UpdateSession = (
    UpdatePrimerSession | UpdateWorldlineSession | UpdateApplePaySession | UpdateMpgsSession | UpdateAcquiredSession
)

Command = CreateSession | UpdateSession


def provider_of(command: Command) -> str:
    """The command's ``provider`` tag (msgspec keeps tags on the class, not the instance)."""
    tag = type(command).__struct_config__.tag
    assert isinstance(tag, str)
    return tag
