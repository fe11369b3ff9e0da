"""Primer's client-session bodies as the simulator reads them: Primer's own spelling, strict like the real API.

Written from Primer's API reference v2.4 (``ClientSessionAPIRequest``, ``ClientSessionUpdateAPIRequest``) and the
examples in ``tests/providers/primer/``, independently of ``service.providers.primer.wire``, so a wrong field name in
the adapter fails here. Unknown fields are refused (the reference's request schema has ``additionalProperties:
false``). Every field defaults to ``UNSET`` so a PATCH can tell "left out" from ``null`` (cleared).
"""

# ruff: noqa: N815 - the field names are Primer's camelCase, spelled as its reference spells them

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Struct, UnsetType

Amount = Annotated[int, msgspec.Meta(ge=0)]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]  # CountryCodeEnum: ISO 3166-1 alpha-2
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]  # ISO 4217 alphabetic
Text = Annotated[str, msgspec.Meta(max_length=255)]  # the reference bounds most strings at 255
LongText = Annotated[str, msgspec.Meta(max_length=1024)]
Network = Literal[
    "AMEX", "CARTES_BANCAIRES", "DANKORT", "DINERS_CLUB", "DISCOVER", "EFTPOS", "ENROUTE", "ELO", "HIPER",
    "INTERAC", "JCB", "MAESTRO", "MASTERCARD", "MIR", "PRIVATE_LABEL", "UNIONPAY", "VISA", "OTHER",
]  # fmt: skip
SurchargeNetwork = Literal[  # the keys of PAYMENT_CARD.networks (additionalProperties: false): no EFTPOS
    "AMEX", "CARTES_BANCAIRES", "DANKORT", "DINERS_CLUB", "DISCOVER", "ENROUTE", "ELO", "HIPER", "INTERAC",
    "JCB", "MAESTRO", "MASTERCARD", "MIR", "PRIVATE_LABEL", "UNIONPAY", "VISA", "OTHER",
]  # fmt: skip


class Address(Struct, forbid_unknown_fields=True):
    firstName: Text | UnsetType | None = UNSET
    lastName: Text | UnsetType | None = UNSET
    addressLine1: Text | UnsetType | None = UNSET
    addressLine2: Text | UnsetType | None = UNSET
    city: Text | UnsetType | None = UNSET
    state: Text | UnsetType | None = UNSET
    countryCode: Country | UnsetType | None = UNSET
    postalCode: Text | UnsetType | None = UNSET


class Customer(Struct, forbid_unknown_fields=True):
    emailAddress: LongText | UnsetType | None = UNSET
    mobileNumber: Text | UnsetType | None = UNSET
    firstName: Text | UnsetType | None = UNSET
    lastName: Text | UnsetType | None = UNSET
    billingAddress: Address | UnsetType | None = UNSET
    shippingAddress: Address | UnsetType | None = UNSET
    taxId: Text | UnsetType | None = UNSET
    nationalDocumentId: Text | UnsetType | None = UNSET


class ProductData(Struct, forbid_unknown_fields=True):
    sku: Text | UnsetType = UNSET
    brand: Text | UnsetType = UNSET
    color: Text | UnsetType = UNSET
    globalTradeItemNumber: Text | UnsetType = UNSET
    manufacturerPartNumber: Text | UnsetType = UNSET
    weight: Annotated[float, msgspec.Meta(ge=0)] | UnsetType = UNSET
    weightUnit: Text | UnsetType = UNSET
    pageUrl: LongText | UnsetType = UNSET


class LineItem(Struct, forbid_unknown_fields=True):
    amount: Amount  # the only required field of a line item
    itemId: Text | UnsetType = UNSET
    name: Text | UnsetType = UNSET
    description: Text | UnsetType = UNSET
    quantity: Annotated[int, msgspec.Meta(ge=1)] | UnsetType = UNSET
    discountAmount: Amount | UnsetType = UNSET
    taxAmount: Amount | UnsetType = UNSET
    taxCode: Text | UnsetType = UNSET
    productType: Literal["PHYSICAL", "DIGITAL"] | UnsetType = UNSET
    productData: ProductData | UnsetType = UNSET


class Fee(Struct, forbid_unknown_fields=True):
    amount: Amount
    type: Text | UnsetType = UNSET
    description: Text | UnsetType = UNSET


class Shipping(Struct, forbid_unknown_fields=True):
    amount: Amount | UnsetType = UNSET
    methodId: LongText | UnsetType = UNSET
    methodName: LongText | UnsetType = UNSET
    methodDescription: LongText | UnsetType = UNSET


class Order(Struct, forbid_unknown_fields=True):
    lineItems: list[LineItem] | UnsetType | None = UNSET
    countryCode: Country | UnsetType | None = UNSET
    retailerCountryCode: Country | UnsetType | None = UNSET
    fees: list[Fee] | UnsetType | None = UNSET
    shipping: Shipping | UnsetType | None = UNSET


class Surcharge(Struct, forbid_unknown_fields=True):
    amount: Amount


class NetworkOption(Struct, forbid_unknown_fields=True):
    surcharge: Surcharge | UnsetType = UNSET


class MethodOption(Struct, forbid_unknown_fields=True):
    """``options.<PAYMENT_METHOD_TYPE>``, ``options.PAYMENT_CARD`` and ``options.APPLE_PAY`` in one."""

    surcharge: Surcharge | UnsetType = UNSET
    extraMerchantData: dict[str, Any] | UnsetType = UNSET  # Klarna
    merchantName: LongText | UnsetType = UNSET
    networks: dict[SurchargeNetwork, NetworkOption] | UnsetType = UNSET  # PAYMENT_CARD
    captureVaultedCardCvv: bool | UnsetType = UNSET  # PAYMENT_CARD
    recurringPaymentRequest: dict[str, Any] | UnsetType = UNSET  # APPLE_PAY, not checked further
    deferredPaymentRequest: dict[str, Any] | UnsetType = UNSET
    automaticReloadRequest: dict[str, Any] | UnsetType = UNSET


class PaymentMethod(Struct, forbid_unknown_fields=True):
    vaultOnSuccess: bool | UnsetType | None = UNSET
    vaultOn3DS: bool | UnsetType | None = UNSET
    vaultOnAgreement: bool | UnsetType | None = UNSET
    descriptor: Text | UnsetType | None = UNSET
    paymentType: Literal["FIRST_PAYMENT", "ECOMMERCE", "SUBSCRIPTION", "UNSCHEDULED"] | UnsetType | None = UNSET
    orderedAllowedCardNetworks: list[Network] | UnsetType | None = UNSET
    options: dict[str, MethodOption] | UnsetType | None = UNSET
    authorizationType: Literal["ESTIMATED", "FINAL"] | UnsetType | None = UNSET
    firstPaymentReason: Literal["CardOnFile", "Recurring", "Unscheduled"] | UnsetType | None = UNSET
    # In the reference's request examples, not in its schema: accepted (the examples must pass), never echoed.
    paymentMethodType: str | UnsetType | None = UNSET


class Body(Struct, forbid_unknown_fields=True):
    """POST and PATCH ``/client-session``; ``clientToken`` belongs to PATCH only (checked by the handler)."""

    clientToken: str | UnsetType = UNSET
    orderId: Text | UnsetType | None = UNSET
    currencyCode: Currency | UnsetType | None = UNSET
    amount: Amount | UnsetType | None = UNSET
    customerId: Text | UnsetType | None = UNSET
    customer: Customer | UnsetType | None = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET
    order: Order | UnsetType | None = UNSET
    paymentMethod: PaymentMethod | UnsetType | None = UNSET


def plain(body: Body) -> dict[str, Any]:
    """The fields the body gives, as JSON values: left-out fields absent, ``null`` kept."""
    fields: dict[str, Any] = msgspec.to_builtins(body)
    method = fields.get("paymentMethod")
    if isinstance(method, dict):
        method.pop("paymentMethodType", None)  # not part of the session Primer answers with
    return fields


def order_total(session: dict[str, Any]) -> int | None:
    """Primer's amount when none is given: each line ``amount * quantity - discountAmount + taxAmount``, plus fees
    and shipping. ``None`` when the order has no line items."""
    order = session.get("order") or {}
    items = order.get("lineItems")
    if not items:
        return None
    lines: int = sum(
        i["amount"] * i.get("quantity", 1) - i.get("discountAmount", 0) + i.get("taxAmount", 0) for i in items
    )
    fees: int = sum(fee["amount"] for fee in order.get("fees") or [])
    shipping: int = (order.get("shipping") or {}).get("amount", 0)
    return lines + fees + shipping
