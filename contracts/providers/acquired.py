"""Acquired.com payment sessions: ``provider = "acquired"``.

Field names and shapes follow Acquired's API reference ("Generate a session_id", "Update a session_id", the
customer object) and the examples in ``tests/providers/acquired/``. Acquired's customer differs from the shared
``Customer``: its phone is a dialling code plus digits, it takes a date of birth, the shopper's IP address, its
own customer id and free data, and its address ``state`` is for US addresses only. So the types are its own.

Update types default every field to ``UNSET`` (left out: unchanged) and take no ``null`` where Acquired has no
way to clear a value; ``custom1``, ``custom2`` and ``metadata`` take ``null`` and are then cleared with ``""``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.command_base import CreateCommand, UpdateCommand
from contracts.types import (
    AcquiredSessionId,
    Currency,
    Metadata,
    MinorUnits,
    ShortText,
    Text,
    Url,
)

ChallengePreference = Literal["challenge_mandated", "challenge_preferred", "no_challenge_requested", "no_preference"]
ChallengeWindowSize = Literal[
    "full_screen", "windowed_250x400", "windowed_390x400", "windowed_500x600", "windowed_600x400"
]
AcquiredPaymentMethod = Literal["card", "apple_pay", "google_pay"]

AcquiredText = Annotated[str, msgspec.Meta(max_length=50, description="At most 50 characters (custom1, custom2).")]
AcquiredCustomerId = Annotated[
    str,
    msgspec.Meta(
        max_length=36,
        pattern=r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$(?!\n)",
        description="Acquired's customer_id (a UUID) of a customer created at Acquired.",
    ),
]
DialCode = Annotated[
    str,
    msgspec.Meta(max_length=3, pattern=r"^[0-9]{1,3}$(?!\n)", description="International dialling code: `44`."),
]
PhoneNumber = Annotated[
    str,
    msgspec.Meta(max_length=15, pattern=r"^[0-9]{1,15}$(?!\n)", description="The number after the dialling code."),
]
AcquiredCountryCode = Annotated[
    str, msgspec.Meta(max_length=2, pattern=r"^[A-Z]{2}$(?!\n)", description="ISO 3166-1 alpha-2, upper-case.")
]
UsState = Annotated[
    str,
    msgspec.Meta(
        max_length=2,
        pattern=r"^[A-Z]{2}$(?!\n)",
        description="ISO 3166-2 code of a US state (`TX`); Acquired takes a state for US addresses only.",
    ),
]
IpAddress = Annotated[
    str,
    msgspec.Meta(
        min_length=2, max_length=45, pattern=r"^[0-9A-Fa-f:.]+$(?!\n)", description="The shopper's IPv4 or IPv6."
    ),
]
DateOfBirth = Annotated[
    date,
    msgspec.Meta(
        description="Date of birth, `YYYY-MM-DD`.",
        # the pattern for validators that do not assert the "date" format (msgspec reads this form only)
        extra_json_schema={"maxLength": 10, "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$(?!\n)"},
    ),
]
CompanyDomains = Annotated[
    list[Url],
    msgspec.Meta(
        min_length=1,
        max_length=50,
        description="Restricts the session to these domains (each registered in Acquired's Hub, SDK settings).",
    ),
]
PaymentMethods = Annotated[list[AcquiredPaymentMethod], msgspec.Meta(max_length=3)]


class AcquiredPhone(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    country_code: DialCode
    number: PhoneNumber


class AcquiredAddress(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    line1: Text | None = None
    line2: Text | None = None
    city: ShortText | None = None
    postal_code: ShortText | None = None
    state: UsState | None = None
    country_code: AcquiredCountryCode | None = None


class AcquiredCustomer(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: ShortText | None = None  # the merchant's reference -> customer.reference
    customer_id: AcquiredCustomerId | None = None
    email: ShortText | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    phone: AcquiredPhone | None = None
    dob: DateOfBirth | None = None
    ip: IpAddress | None = None
    custom_data: Metadata | None = None  # sent base64-encoded JSON, as Acquired's custom_data
    billing_address: AcquiredAddress | None = None
    shipping_address: AcquiredAddress | None = None


class AcquiredAddressChange(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    line1: Text | UnsetType = UNSET
    line2: Text | UnsetType = UNSET
    city: ShortText | UnsetType = UNSET
    postal_code: ShortText | UnsetType = UNSET
    state: UsState | UnsetType = UNSET
    country_code: AcquiredCountryCode | UnsetType = UNSET


class AcquiredCustomerChange(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: ShortText | UnsetType = UNSET
    customer_id: AcquiredCustomerId | UnsetType = UNSET
    email: ShortText | UnsetType = UNSET
    first_name: ShortText | UnsetType = UNSET
    last_name: ShortText | UnsetType = UNSET
    phone: AcquiredPhone | UnsetType = UNSET
    dob: DateOfBirth | UnsetType = UNSET
    ip: IpAddress | UnsetType = UNSET
    custom_data: Metadata | UnsetType = UNSET
    billing_address: AcquiredAddressChange | UnsetType = UNSET
    shipping_address: AcquiredAddressChange | UnsetType = UNSET


class TdsOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """3-D Secure of a new session: ``is_active`` and ``challenge_preference`` are always sent."""

    is_active: bool = True
    challenge_preference: ChallengePreference = "no_preference"
    challenge_window_size: ChallengeWindowSize | None = None
    contact_url: Url | None = None
    redirect_url: Url | None = None
    webhook_url: Url | None = None


class TdsChange(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """3-D Secure changes of an update: only the fields given are sent."""

    is_active: bool | UnsetType = UNSET
    challenge_preference: ChallengePreference | UnsetType = UNSET
    challenge_window_size: ChallengeWindowSize | UnsetType = UNSET
    contact_url: Url | UnsetType = UNSET
    redirect_url: Url | UnsetType = UNSET
    webhook_url: Url | UnsetType = UNSET


class AcquiredCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    capture: bool = True
    moto: bool = False
    custom1: AcquiredText | None = None
    custom2: AcquiredText | None = None
    tds: TdsOptions | None = None
    webhook_url: Url | None = None
    company_domains: CompanyDomains | None = None
    payment_methods: PaymentMethods | None = None
    is_recurring: bool | None = None
    save_card: bool | None = None


class AcquiredUpdateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What Acquired's update takes besides the transaction and customer: ``tds``, ``webhook_url`` and
    ``payment_methods`` (its reference lists no ``save_card``, ``is_recurring`` or ``company_domains`` there)."""

    capture: bool | UnsetType = UNSET
    moto: bool | UnsetType = UNSET
    custom1: AcquiredText | UnsetType | None = UNSET
    custom2: AcquiredText | UnsetType | None = UNSET
    tds: TdsChange | UnsetType = UNSET
    webhook_url: Url | UnsetType = UNSET
    payment_methods: PaymentMethods | UnsetType = UNSET


class CreateAcquiredSession(CreateCommand, tag="acquired", frozen=True, kw_only=True):
    amount: MinorUnits | None = None
    currency: Currency | None = None  # Acquired takes 14 of them: others are refused before any call
    customer: AcquiredCustomer | None = None
    metadata: Metadata | None = None  # sent as transaction.custom_data (base64 of its JSON)
    options: AcquiredCreateOptions = msgspec.field(default_factory=AcquiredCreateOptions)


class UpdateAcquiredSession(UpdateCommand, tag="acquired", frozen=True, kw_only=True):
    session_id: AcquiredSessionId  # narrowed: it is a path segment of PUT /v1/payment-sessions/{id}
    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: AcquiredCustomerChange | UnsetType = UNSET
    metadata: Metadata | UnsetType | None = UNSET
    options: AcquiredUpdateOptions = msgspec.field(default_factory=AcquiredUpdateOptions)
