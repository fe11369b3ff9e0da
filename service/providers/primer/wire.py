"""Primer's JSON shapes. ``UNSET`` means "leave out"; ``None`` is sent as ``null`` (clears on PATCH)."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, Struct, UnsetType

_OUT = {"kw_only": True, "rename": "camel"}


class Address(Struct, **_OUT):  # type: ignore[call-arg]
    first_name: str | None | UnsetType = UNSET
    last_name: str | None | UnsetType = UNSET
    address_line1: str | None | UnsetType = UNSET
    address_line2: str | None | UnsetType = UNSET
    city: str | None | UnsetType = UNSET
    state: str | None | UnsetType = UNSET
    postal_code: str | None | UnsetType = UNSET
    country_code: str | None | UnsetType = UNSET


class Customer(Struct, **_OUT):  # type: ignore[call-arg]
    email_address: str | None | UnsetType = UNSET
    mobile_number: str | None | UnsetType = UNSET
    first_name: str | None | UnsetType = UNSET
    last_name: str | None | UnsetType = UNSET
    billing_address: Address | None | UnsetType = UNSET
    shipping_address: Address | None | UnsetType = UNSET


class LineItem(Struct, **_OUT):  # type: ignore[call-arg]
    item_id: str
    amount: int
    quantity: int
    description: str | UnsetType = UNSET


class Order(Struct, **_OUT):  # type: ignore[call-arg]
    country_code: str | None | UnsetType = UNSET
    line_items: list[LineItem] | None | UnsetType = UNSET


class PaymentMethod(Struct, **_OUT):  # type: ignore[call-arg]
    vault_on_success: bool | UnsetType = UNSET
    descriptor: str | UnsetType = UNSET


class ClientSessionRequest(Struct, **_OUT):  # type: ignore[call-arg]
    """Body of POST (create) and PATCH (update, with ``client_token``) ``/client-session``."""

    client_token: str | UnsetType = UNSET
    order_id: str | None | UnsetType = UNSET
    currency_code: str | None | UnsetType = UNSET
    amount: int | None | UnsetType = UNSET
    customer_id: str | None | UnsetType = UNSET
    customer: Customer | None | UnsetType = UNSET
    metadata: dict[str, Any] | None | UnsetType = UNSET
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
