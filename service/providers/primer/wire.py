"""Primer's JSON shapes. ``UNSET`` means "leave out"; ``None`` is sent as ``null`` (clears on PATCH)."""

from __future__ import annotations

from typing import Any

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


class LineItem(Struct, kw_only=True, rename="camel"):
    item_id: str
    amount: int
    quantity: int
    description: str | UnsetType = UNSET


class Order(Struct, kw_only=True, rename="camel"):
    country_code: str | UnsetType | None = UNSET
    line_items: list[LineItem] | UnsetType | None = UNSET


class PaymentMethod(Struct, kw_only=True, rename="camel"):
    vault_on_success: bool | UnsetType = UNSET
    descriptor: str | UnsetType = UNSET


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
    """The fields we read from a 200; Primer echoes many more, which are ignored."""

    client_token: str | None = None
    client_token_expiration_date: str | None = None  # the name in Primer's sample app
    client_expiration_date: str | None = None  # the name in Primer's reference examples
    warnings: list[Warning] | None = None


class ErrorDetail(Struct, kw_only=True, rename="camel"):
    error_id: str | None = None
    description: str | None = None
    diagnostics_id: str | None = None
    validation_errors: list[Any] | None = None  # shape unconfirmed: read leniently


class ErrorReply(Struct, kw_only=True):
    error: ErrorDetail
