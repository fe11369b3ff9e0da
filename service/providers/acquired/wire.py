"""Acquired's JSON shapes (snake_case as Acquired spells it). ``UNSET`` means "leave out": Acquired's
validation is not known to accept ``null``, so nothing is ever sent as ``null``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from msgspec import UNSET, Struct, UnsetType


class LoginRequest(Struct, kw_only=True):
    app_id: str
    app_key: str


class LoginReply(Struct, kw_only=True):
    token_type: str | None = None
    expires_in: int | None = None
    access_token: str | None = None


class Transaction(Struct, kw_only=True):
    order_id: str | UnsetType = UNSET
    amount: Decimal | UnsetType = UNSET  # major units, encoded as a JSON number
    currency: str | UnsetType = UNSET  # lower-case ISO 4217
    capture: bool | UnsetType = UNSET
    moto: bool | UnsetType = UNSET
    custom_data: str | UnsetType = UNSET  # base64
    custom1: str | UnsetType = UNSET
    custom2: str | UnsetType = UNSET


class Tds(Struct, kw_only=True):
    is_active: bool | UnsetType = UNSET
    challenge_preference: str | UnsetType = UNSET
    challenge_window_size: str | UnsetType = UNSET
    contact_url: str | UnsetType = UNSET
    redirect_url: str | UnsetType = UNSET
    webhook_url: str | UnsetType = UNSET


class Address(Struct, kw_only=True):
    line_1: str | UnsetType = UNSET
    line_2: str | UnsetType = UNSET
    city: str | UnsetType = UNSET
    state: str | UnsetType = UNSET  # ISO 3166-2, US addresses only
    postcode: str | UnsetType = UNSET
    country_code: str | UnsetType = UNSET  # ISO 3166-1 alpha-2, upper-case as in Acquired's reference examples


class Phone(Struct, kw_only=True):
    country_code: str  # dialling code, digits
    number: str


class Billing(Struct, kw_only=True):
    address: Address | UnsetType = UNSET
    email: str | UnsetType = UNSET
    phone: Phone | UnsetType = UNSET


class Shipping(Struct, kw_only=True):
    address: Address | UnsetType = UNSET


class Customer(Struct, kw_only=True):
    customer_id: str | UnsetType = UNSET
    reference: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    dob: str | UnsetType = UNSET  # YYYY-MM-DD
    ip: str | UnsetType = UNSET
    custom_data: str | UnsetType = UNSET  # base64
    billing: Billing | UnsetType = UNSET
    shipping: Shipping | UnsetType = UNSET


class PaymentSessionRequest(Struct, kw_only=True):
    """Body of ``POST /v1/payment-sessions`` and (only the changed parts) ``PUT /v1/payment-sessions/{id}``."""

    transaction: Transaction | UnsetType = UNSET
    customer: Customer | UnsetType = UNSET
    tds: Tds | UnsetType = UNSET
    webhook_url: str | UnsetType = UNSET
    is_recurring: bool | UnsetType = UNSET
    save_card: bool | UnsetType = UNSET
    payment_methods: list[str] | UnsetType = UNSET
    company_domains: list[str] | UnsetType = UNSET


class SessionReply(Struct, kw_only=True):
    """A 2xx of create: ``{"session_id": "<uuid>"}``, perhaps with ``"status": "success"`` as Acquired's other
    create replies have; ``status`` is also read to refuse an error object in a 2xx."""

    session_id: str | None = None
    status: str | None = None


class ErrorReply(Struct, kw_only=True):
    status: str | None = None
    error_type: str | None = None
    title: str | None = None
    instance: str | None = None
    invalid_parameters: list[Any] | None = None  # read leniently: one odd item must not hide the error
