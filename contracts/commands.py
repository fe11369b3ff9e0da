"""Commands: ``session.create`` and ``session.update``.

Each command is a tagged union on ``provider``; the tag selects the typed ``options``. Commands are
strict (unknown fields are refused) because a misspelt option silently ignored is a wrong payment page.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.types import (
    AccountName,
    AcquiredSessionId,
    CommandId,
    CorrelationId,
    CountryCode,
    Currency,
    IssuedAt,
    Metadata,
    MinorUnits,
    MpgsSessionId,
    OrderId,
    SessionId,
    ShortText,
    Text,
    Url,
    WorldlineId,
)


class Address(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    line1: Text | None = None
    line2: Text | None = None
    city: ShortText | None = None
    postal_code: ShortText | None = None
    state: ShortText | None = None
    country_code: CountryCode | None = None


class Customer(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: ShortText | None = None
    email: ShortText | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    phone: ShortText | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None


# --- per-provider options --------------------------------------------------------------------------


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


class PaymentProductFilter(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    groups: Annotated[list[ShortText], msgspec.Meta(max_length=20)] = []
    products: Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(max_length=200)] = []


class PaymentProductFilters(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    restrict_to: PaymentProductFilter | None = None
    exclude: PaymentProductFilter | None = None


class WorldlineCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    payment_product_filters: PaymentProductFilters | None = None
    tokens: Annotated[list[ShortText], msgspec.Meta(max_length=100)] = []


class ApplePayCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Apple Pay merchant validation. With ``client_session_id``, ``customer_id`` and ``client_api_url``
    from a prior Worldline session the client API is used; otherwise the server API."""

    validation_url: Url
    domain_name: ShortText
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    client_session_id: WorldlineId | None = None  # the GCS v1Client credential
    customer_id: WorldlineId | None = None  # a path segment of the client API URL
    client_api_url: Url | None = None


class MpgsCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    authentication_limit: Annotated[int, msgspec.Meta(ge=0, le=25)] | None = None


class MpgsUpdateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    order_reference: ShortText | None = None
    order_description: Text | None = None
    session_version: Annotated[str, msgspec.Meta(max_length=10)] | None = None


ChallengePreference = Literal["challenge_mandated", "challenge_preferred", "no_challenge_requested", "no_preference"]


class TdsOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    is_active: bool = True
    challenge_preference: ChallengePreference = "no_preference"
    contact_url: Url | None = None
    redirect_url: Url | None = None
    webhook_url: Url | None = None


AcquiredPaymentMethod = Literal["card", "apple_pay", "google_pay"]


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


# --- session.create --------------------------------------------------------------------------------


class _CreateBase(Struct, tag_field="provider", frozen=True, kw_only=True, forbid_unknown_fields=True):
    command_id: CommandId
    account: AccountName = "default"
    order_id: OrderId | None = None
    amount: MinorUnits | None = None
    currency: Currency | None = None
    customer: Customer | None = None
    metadata: Metadata | None = None
    correlation_id: CorrelationId | None = None
    issued_at: IssuedAt | None = None


class CreatePrimerSession(_CreateBase, tag="primer", frozen=True, kw_only=True):
    options: PrimerCreateOptions = msgspec.field(default_factory=PrimerCreateOptions)


class CreateWorldlineSession(_CreateBase, tag="worldline", frozen=True, kw_only=True):
    options: WorldlineCreateOptions = msgspec.field(default_factory=WorldlineCreateOptions)


class CreateApplePaySession(_CreateBase, tag="worldline-applepay", frozen=True, kw_only=True):
    options: ApplePayCreateOptions


class CreateMpgsSession(_CreateBase, tag="mpgs", frozen=True, kw_only=True):
    options: MpgsCreateOptions = msgspec.field(default_factory=MpgsCreateOptions)


class CreateAcquiredSession(_CreateBase, tag="acquired", frozen=True, kw_only=True):
    options: AcquiredCreateOptions = msgspec.field(default_factory=AcquiredCreateOptions)


CreateSession = (
    CreatePrimerSession | CreateWorldlineSession | CreateApplePaySession | CreateMpgsSession | CreateAcquiredSession
)

# --- session.update --------------------------------------------------------------------------------


class _UpdateBase(Struct, tag_field="provider", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fields left out are unchanged. ``session_id`` is ``session.id`` from ``session.created``; MPGS and Acquired
    narrow it to their id alphabets, because their adapters put it into a URL path (Primer's travels in the body,
    and Worldline's is never sent)."""

    command_id: CommandId
    account: AccountName = "default"
    session_id: SessionId
    order_id: OrderId | UnsetType = UNSET
    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: Customer | UnsetType | None = UNSET
    metadata: Metadata | UnsetType | None = UNSET
    correlation_id: CorrelationId | None = None
    issued_at: IssuedAt | None = None


class UpdatePrimerSession(_UpdateBase, tag="primer", frozen=True, kw_only=True):
    options: PrimerUpdateOptions = msgspec.field(default_factory=PrimerUpdateOptions)


class UpdateWorldlineSession(_UpdateBase, tag="worldline", frozen=True, kw_only=True):
    """Worldline has no session update: always answered with ``unsupported``."""


class UpdateApplePaySession(_UpdateBase, tag="worldline-applepay", frozen=True, kw_only=True):
    """Apple Pay merchant sessions are single use: always answered with ``unsupported``."""


class UpdateMpgsSession(_UpdateBase, tag="mpgs", frozen=True, kw_only=True):
    session_id: MpgsSessionId  # narrowed: it is a path segment of PUT …/session/{id}
    options: MpgsUpdateOptions = msgspec.field(default_factory=MpgsUpdateOptions)


class UpdateAcquiredSession(_UpdateBase, tag="acquired", frozen=True, kw_only=True):
    session_id: AcquiredSessionId  # narrowed: it is a path segment of PUT /v1/payment-sessions/{id}
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
