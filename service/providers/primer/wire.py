"""Primer's JSON shapes (API v2.4). ``UNSET`` means "leave out"; ``None`` is sent as ``null`` (clears on PATCH).

Requests are encoded only, replies decoded leniently: Primer echoes the whole session, of which we read the token,
its expiry and the warnings.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType


class Address(Struct, kw_only=True, rename="camel"):
    first_name: str | UnsetType | None = UNSET
    last_name: str | UnsetType | None = UNSET
    address_line1: str | UnsetType | None = UNSET
    address_line2: str | UnsetType | None = UNSET
    city: str | UnsetType | None = UNSET
    state: str | UnsetType | None = UNSET
    postal_code: str | UnsetType | None = UNSET
    country_code: str | UnsetType | None = UNSET


class Customer(Struct, kw_only=True, rename="camel"):
    email_address: str | UnsetType | None = UNSET
    mobile_number: str | UnsetType | None = UNSET
    first_name: str | UnsetType | None = UNSET
    last_name: str | UnsetType | None = UNSET
    billing_address: Address | UnsetType | None = UNSET
    shipping_address: Address | UnsetType | None = UNSET
    tax_id: str | UnsetType | None = UNSET
    national_document_id: str | UnsetType | None = UNSET


class ProductData(Struct, kw_only=True, rename="camel"):
    sku: str | UnsetType = UNSET
    brand: str | UnsetType = UNSET
    color: str | UnsetType = UNSET
    global_trade_item_number: str | UnsetType = UNSET
    manufacturer_part_number: str | UnsetType = UNSET
    weight: float | UnsetType = UNSET
    weight_unit: str | UnsetType = UNSET
    page_url: str | UnsetType = UNSET


class LineItem(Struct, kw_only=True, rename="camel"):
    item_id: str
    amount: int
    quantity: int
    name: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    discount_amount: int | UnsetType = UNSET
    tax_amount: int | UnsetType = UNSET
    tax_code: str | UnsetType = UNSET
    product_type: str | UnsetType = UNSET
    product_data: ProductData | UnsetType = UNSET


class Fee(Struct, kw_only=True, rename="camel"):
    amount: int
    type: str | UnsetType = UNSET
    description: str | UnsetType = UNSET


class Shipping(Struct, kw_only=True, rename="camel"):
    amount: int | UnsetType = UNSET
    method_id: str | UnsetType = UNSET
    method_name: str | UnsetType = UNSET
    method_description: str | UnsetType = UNSET


class Order(Struct, kw_only=True, rename="camel"):
    country_code: str | UnsetType | None = UNSET
    retailer_country_code: str | UnsetType | None = UNSET
    line_items: list[LineItem] | UnsetType | None = UNSET
    fees: list[Fee] | UnsetType | None = UNSET
    shipping: Shipping | UnsetType | None = UNSET


class Surcharge(Struct, kw_only=True):
    amount: int


class NetworkOptions(Struct, kw_only=True):
    surcharge: Surcharge | UnsetType = UNSET


class MethodOptions(Struct, kw_only=True, rename="camel"):
    surcharge: Surcharge | UnsetType = UNSET
    networks: dict[str, NetworkOptions] | UnsetType = UNSET
    capture_vaulted_card_cvv: bool | UnsetType = UNSET
    merchant_name: str | UnsetType = UNSET


class PaymentMethod(Struct, kw_only=True, rename="camel"):
    vault_on_success: bool | UnsetType | None = UNSET
    vault_on_3ds: bool | UnsetType | None = msgspec.field(default=UNSET, name="vaultOn3DS")
    vault_on_agreement: bool | UnsetType | None = UNSET
    descriptor: str | UnsetType | None = UNSET
    payment_type: str | UnsetType | None = UNSET
    ordered_allowed_card_networks: list[str] | UnsetType | None = UNSET
    authorization_type: str | UnsetType | None = UNSET
    first_payment_reason: str | UnsetType | None = UNSET
    options: dict[str, MethodOptions] | UnsetType = UNSET


class ClientSessionRequest(Struct, kw_only=True, rename="camel"):
    """Body of POST (create) and PATCH (update, with ``client_token``) ``/client-session``."""

    client_token: str | UnsetType = UNSET
    order_id: str | UnsetType | None = UNSET
    currency_code: str | UnsetType | None = UNSET
    amount: int | UnsetType | None = UNSET
    customer_id: str | UnsetType | None = UNSET
    customer: Customer | UnsetType | None = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET
    order: Order | UnsetType = UNSET
    payment_method: PaymentMethod | UnsetType = UNSET


class Warning(Struct, kw_only=True):
    type: str | None = None
    code: str | None = None
    message: str | None = None


class ClientSessionReply(Struct, kw_only=True, rename="camel"):
    """The fields we read from a 200. POST answers ``ClientSessionWithTokenAPIResponse``; PATCH answers
    ``ClientSessionAPIResponse``, which has no token and no expiry."""

    client_token: str | None = None
    client_token_expiration_date: str | None = None  # the schema's name, the Android sample's, the TaxJar guide's
    client_expiration_date: str | None = None  # the name in the reference's reply example
    warnings: list[Warning] | None = None


class ErrorDetail(Struct, kw_only=True, rename="camel"):
    error_id: str | None = None
    description: str | None = None
    recovery_suggestion: str | None = None
    diagnostics_id: str | int | None = None  # a string in every example; a number is read too
    validation_errors: list[Any] | None = None  # [{model, errors: [{path, description}]}]: read leniently


class ErrorReply(Struct, kw_only=True):
    error: ErrorDetail
