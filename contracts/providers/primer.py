"""Primer client sessions: ``provider = "primer"``.

Field names and shapes follow Primer's API reference v2.4 ("Create a client session", "Update client session") and
the examples in ``tests/providers/primer/``; the parts (customer, line items, fees, payment-method options) live in
``contracts.providers.primer_parts``. Every field reaches Primer's request; ``correlation_id`` and ``issued_at``
stay with the service (Primer has no field for them).

Update types default every field to ``UNSET`` (left out: unchanged at Primer); ``null`` clears the field at Primer.
Primer replaces arrays (``line_items``, ``fees``) and ``metadata`` whole, and cannot patch
``payment_method.options``, so the update's ``payment_method`` has no ``options``.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.command_base import CreateCommand, UpdateCommand
from contracts.providers.primer_parts import (
    AuthorizationType,
    CardNetworks,
    Fees,
    FirstPaymentReason,
    LineItems,
    MethodOptions,
    PaymentType,
    PrimerAddress,
    PrimerAddressChange,
    PrimerCustomer,
    PrimerCustomerChange,
    PrimerFee,
    PrimerLineItem,
    PrimerMethodOptions,
    PrimerProductData,
    PrimerShipping,
    RetailerCountryCode,
)
from contracts.types import CountryCode, Currency, Metadata, MinorUnits, ShortText

CARD = "PAYMENT_CARD"  # the payment method type whose options are per card network

__all__ = [
    "CreatePrimerSession",
    "PrimerAddress",
    "PrimerAddressChange",
    "PrimerCreateOptions",
    "PrimerCustomer",
    "PrimerCustomerChange",
    "PrimerFee",
    "PrimerLineItem",
    "PrimerMethodOptions",
    "PrimerPaymentMethod",
    "PrimerPaymentMethodChange",
    "PrimerProductData",
    "PrimerShipping",
    "PrimerUpdateOptions",
    "UpdatePrimerSession",
]


class PrimerPaymentMethod(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Primer's ``paymentMethod`` options of a client session."""

    vault_on_success: bool | None = None
    vault_on_3ds: bool | None = None  # -> vaultOn3DS
    vault_on_agreement: bool | None = None
    descriptor: ShortText | None = None
    payment_type: PaymentType | None = None
    ordered_allowed_card_networks: CardNetworks | None = None  # the first one wins on co-badged cards
    authorization_type: AuthorizationType | None = None
    first_payment_reason: FirstPaymentReason | None = None
    options: MethodOptions | None = None  # keyed by payment method type: PAYMENT_CARD, GOOGLE_PAY, …

    def __post_init__(self) -> None:
        """Primer documents ``networks`` and ``capture_vaulted_card_cvv`` for ``PAYMENT_CARD`` only, and ``surcharge``
        and ``merchant_name`` for every other type: any other pairing is refused before a request is made."""
        for kind, options in (self.options or {}).items():
            card_only = options.networks is not None or options.capture_vaulted_card_cvv is not None
            if kind != CARD and card_only:
                raise ValueError(f"options.{kind}: networks and capture_vaulted_card_cvv are for {CARD} only")
            if kind == CARD and (options.surcharge is not None or options.merchant_name is not None):
                raise ValueError(f"options.{CARD}: a card surcharge goes per network (networks.<NETWORK>.surcharge)")


class PrimerPaymentMethodChange(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Primer's reference says a PATCHed ``paymentMethod`` overwrites the stored one, while its guide updates
    ``vaultOnSuccess`` alone (unconfirmed which holds): give every field you rely on. ``options`` cannot be patched."""

    vault_on_success: bool | UnsetType | None = UNSET
    vault_on_3ds: bool | UnsetType | None = UNSET
    vault_on_agreement: bool | UnsetType | None = UNSET
    descriptor: ShortText | UnsetType | None = UNSET
    payment_type: PaymentType | UnsetType | None = UNSET
    ordered_allowed_card_networks: CardNetworks | UnsetType | None = UNSET
    authorization_type: AuthorizationType | UnsetType | None = UNSET
    first_payment_reason: FirstPaymentReason | UnsetType | None = UNSET


class PrimerCreateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``order`` (country, line items, fees, shipping) and ``paymentMethod`` of the client session."""

    country_code: CountryCode | None = None
    retailer_country_code: RetailerCountryCode | None = None
    line_items: LineItems | None = None
    fees: Fees | None = None
    shipping: PrimerShipping | None = None
    payment_method: PrimerPaymentMethod | None = None


class PrimerUpdateOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fields left out are unchanged; ``null`` clears a field at Primer. Lists and ``shipping`` are replaced whole."""

    country_code: CountryCode | UnsetType | None = UNSET
    retailer_country_code: RetailerCountryCode | UnsetType | None = UNSET
    line_items: LineItems | UnsetType | None = UNSET
    fees: Fees | UnsetType | None = UNSET
    shipping: PrimerShipping | UnsetType | None = UNSET
    payment_method: PrimerPaymentMethodChange | UnsetType = UNSET


class CreatePrimerSession(CreateCommand, tag="primer", frozen=True, kw_only=True):
    amount: MinorUnits | None = None
    currency: Currency | None = None
    customer: PrimerCustomer | None = None
    metadata: Metadata | None = None
    options: PrimerCreateOptions = msgspec.field(default_factory=PrimerCreateOptions)


class UpdatePrimerSession(UpdateCommand, tag="primer", frozen=True, kw_only=True):
    """``customer`` ``null`` clears the customer and its id; a customer object changes only the fields it gives."""

    amount: MinorUnits | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    customer: PrimerCustomerChange | UnsetType | None = UNSET
    metadata: Metadata | UnsetType | None = UNSET
    options: PrimerUpdateOptions = msgspec.field(default_factory=PrimerUpdateOptions)
