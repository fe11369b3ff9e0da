"""The parts of a Primer client session: customer, addresses, line items, fees, shipping, payment-method options.

Field names and bounds follow Primer's API reference v2.4 (``ClientSessionAPIRequest`` and the types it names) and
the examples in ``tests/providers/primer/``. Fields that Primer added after the first version of this contract use
Primer's own bounds (1 to 255 characters); the older ones keep theirs, so no command valid before is refused now.

The ``…Change`` types are for ``session.update``: every field defaults to ``UNSET`` (left out: unchanged at Primer)
and ``null`` clears the field at Primer.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.command_base import Address
from contracts.types import CountryCode, MinorUnits, ShortText, Text

PrimerText = Annotated[str, msgspec.Meta(min_length=1, max_length=255, description="1 to 255 characters.")]
PageUrl = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
Weight = Annotated[float, msgspec.Meta(ge=0, le=1e9, description="The product weight, in `weight_unit`.")]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
ProductType = Literal["PHYSICAL", "DIGITAL"]
CardNetwork = Literal[
    "AMEX", "CARTES_BANCAIRES", "DANKORT", "DINERS_CLUB", "DISCOVER", "EFTPOS", "ENROUTE", "ELO", "HIPER",
    "INTERAC", "JCB", "MAESTRO", "MASTERCARD", "MIR", "PRIVATE_LABEL", "UNIONPAY", "VISA", "OTHER",
]  # fmt: skip
PaymentMethodType = Annotated[
    str,
    msgspec.Meta(
        max_length=64,
        pattern=r"^[A-Z][A-Z0-9_]{0,63}$(?!\n)",
        description="A Primer payment method type: `PAYMENT_CARD`, `GOOGLE_PAY`, `APPLE_PAY`, `PAY_NL_IDEAL`, …",
    ),
]
CardNetworkKey = Annotated[
    str,
    msgspec.Meta(
        max_length=16,
        pattern=r"^(?:AMEX|CARTES_BANCAIRES|DANKORT|DINERS_CLUB|DISCOVER|ENROUTE|ELO|HIPER|INTERAC|JCB|MAESTRO"
        r"|MASTERCARD|MIR|PRIVATE_LABEL|UNIONPAY|VISA|OTHER)$(?!\n)",
        description="A card network that takes a surcharge: any `CardNetwork` but EFTPOS, which Primer's reference "
        "lists among the networks but not among those with surcharge options.",
    ),
]
RetailerCountryCode = Annotated[CountryCode, msgspec.Meta(max_length=2)]
AuthorizationType = Literal["ESTIMATED", "FINAL"]
PaymentType = Literal["FIRST_PAYMENT", "ECOMMERCE", "SUBSCRIPTION", "UNSCHEDULED"]
FirstPaymentReason = Literal["CardOnFile", "Recurring", "Unscheduled"]
CardNetworks = Annotated[list[CardNetwork], msgspec.Meta(max_length=18)]


class PrimerAddress(Address, frozen=True, kw_only=True, forbid_unknown_fields=True):  # + the names Primer takes
    """Without ``first_name``/``last_name`` a created session's address carries the customer's names."""

    first_name: PrimerText | None = None
    last_name: PrimerText | None = None


class PrimerCustomer(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: ShortText | None = None  # -> customerId (top level)
    email: ShortText | None = None  # -> emailAddress
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    phone: ShortText | None = None  # -> mobileNumber
    tax_id: PrimerText | None = None
    national_document_id: PrimerText | None = None
    billing_address: PrimerAddress | None = None
    shipping_address: PrimerAddress | None = None


class PrimerAddressChange(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Primer replaces an address whole ("each of the fields in this object must be updated in its entirety"):
    send every line you want kept."""

    first_name: PrimerText | UnsetType | None = UNSET
    last_name: PrimerText | UnsetType | None = UNSET
    line1: Text | UnsetType | None = UNSET
    line2: Text | UnsetType | None = UNSET
    city: ShortText | UnsetType | None = UNSET
    postal_code: ShortText | UnsetType | None = UNSET
    state: ShortText | UnsetType | None = UNSET
    country_code: CountryCode | UnsetType | None = UNSET


class PrimerCustomerChange(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Only the fields given change: ``{"email": "new@…"}`` sends ``customer.emailAddress`` alone."""

    id: ShortText | UnsetType | None = UNSET
    email: ShortText | UnsetType | None = UNSET
    first_name: ShortText | UnsetType | None = UNSET
    last_name: ShortText | UnsetType | None = UNSET
    phone: ShortText | UnsetType | None = UNSET
    tax_id: PrimerText | UnsetType | None = UNSET
    national_document_id: PrimerText | UnsetType | None = UNSET
    billing_address: PrimerAddressChange | UnsetType | None = UNSET
    shipping_address: PrimerAddressChange | UnsetType | None = UNSET


class PrimerProductData(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    sku: PrimerText | None = None
    brand: PrimerText | None = None
    color: PrimerText | None = None
    global_trade_item_number: PrimerText | None = None  # e.g. an ISBN
    manufacturer_part_number: PrimerText | None = None
    weight: Weight | None = None
    weight_unit: PrimerText | None = None  # "kg", "g"
    page_url: PageUrl | None = None


class PrimerLineItem(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Primer's total of a line: ``amount * quantity - discount_amount + tax_amount`` (both for the whole line)."""

    item_id: ShortText
    name: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    description: Text | None = None
    amount: MinorUnits
    quantity: Quantity = 1
    discount_amount: MinorUnits | None = None
    tax_amount: MinorUnits | None = None
    tax_code: PrimerText | None = None
    product_type: ProductType | None = None
    product_data: PrimerProductData | None = None


class PrimerFee(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    amount: MinorUnits
    type: PrimerText | None = None  # e.g. "SURCHARGE"
    description: PrimerText | None = None  # e.g. "Currency Conversion Fee"


class PrimerShipping(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    amount: MinorUnits | None = None
    method_id: PrimerText | None = None
    method_name: PrimerText | None = None
    method_description: PrimerText | None = None


LineItems = Annotated[list[PrimerLineItem], msgspec.Meta(max_length=500)]
Fees = Annotated[list[PrimerFee], msgspec.Meta(max_length=50)]


class PrimerSurcharge(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    amount: MinorUnits


class PrimerNetworkOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    surcharge: PrimerSurcharge | None = None


class PrimerMethodOptions(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``paymentMethod.options.<TYPE>``: ``surcharge`` for a payment method type (``GOOGLE_PAY``, ``PAY_NL_IDEAL``…)
    and ``merchant_name`` (the name Apple Pay shows, for ``APPLE_PAY``); for ``PAYMENT_CARD`` only ``networks`` (a
    surcharge per card network) and ``capture_vaulted_card_cvv``. ``PrimerPaymentMethod`` checks the pairing."""

    surcharge: PrimerSurcharge | None = None
    networks: Annotated[dict[CardNetworkKey, PrimerNetworkOptions], msgspec.Meta(max_length=18)] | None = None
    capture_vaulted_card_cvv: bool | None = None
    merchant_name: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)] | None = None


# PrimerPaymentMethod's pairing check, said in the JSON Schema too (null means "not set" there as in the check):
# `networks` and `capture_vaulted_card_cvv` for PAYMENT_CARD only, `surcharge` and `merchant_name` for the others.
_NULL: Final = {"type": "null"}
_PAIRING: Final = {
    "allOf": [
        {
            "properties": {
                "PAYMENT_CARD": {"type": "object", "properties": {"surcharge": _NULL, "merchant_name": _NULL}}
            },
            "additionalProperties": {
                "type": "object",
                "properties": {"networks": _NULL, "capture_vaulted_card_cvv": _NULL},
            },
        }
    ]
}
MethodOptions = Annotated[
    dict[PaymentMethodType, PrimerMethodOptions], msgspec.Meta(max_length=100, extra_json_schema=_PAIRING)
]
