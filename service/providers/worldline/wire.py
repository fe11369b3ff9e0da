"""Worldline Connect's JSON shapes, named as the official SDK's domain classes name them (``SessionRequest``,
``PaymentProductFiltersClientSession``, ``CreatePaymentProductSessionRequest``, ``ErrorResponse``...).
``UNSET`` means "leave out"; replies are read leniently."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, Struct, UnsetType


class ProductFilter(Struct, kw_only=True, rename="camel"):
    groups: list[str] | UnsetType = UNSET
    products: list[int] | UnsetType = UNSET


class PaymentProductFilters(Struct, kw_only=True, rename="camel"):
    restrict_to: ProductFilter | UnsetType = UNSET
    exclude: ProductFilter | UnsetType = UNSET


class SessionRequest(Struct, kw_only=True, rename="camel"):
    """Body of ``POST /v1/{merchantId}/sessions``."""

    payment_product_filters: PaymentProductFilters | UnsetType = UNSET
    tokens: list[str] | UnsetType = UNSET


class SessionReply(Struct, kw_only=True, rename="camel"):
    client_session_id: str | None = None
    customer_id: str | None = None
    client_api_url: str | None = None
    asset_url: str | None = None
    invalid_tokens: list[str] | None = None
    region: str | None = None


class ApplePayInput(Struct, kw_only=True, rename="camel"):
    """``MobilePaymentProductSession302SpecificInput``: ``displayName`` is optional at Worldline."""

    display_name: str | UnsetType = UNSET
    domain_name: str
    validation_url: str


class ApplePaySessionRequest(Struct, kw_only=True):
    """Body of ``POST …/v1/{id}/products/302/sessions`` (server and client API alike)."""

    specific_input: ApplePayInput = msgspec.field(name="paymentProductSession302SpecificInput")


class ApplePayOutput(Struct, kw_only=True, rename="camel"):
    session_object: str | None = None


class ApplePaySessionReply(Struct, kw_only=True):
    specific_output: ApplePayOutput | None = msgspec.field(default=None, name="paymentProductSession302SpecificOutput")


class AppleMerchantSession(Struct, kw_only=True, rename="camel"):
    """The one field we read from Apple's opaque session object."""

    merchant_session_identifier: str | None = None


class ErrorItem(Struct, kw_only=True, rename="camel"):
    category: str | None = None
    code: str | int | None = None  # documented as a string; read a number too
    http_status_code: int | str | None = None
    id: str | None = None
    message: str | None = None
    property_name: str | None = None
    request_id: str | None = None


class ErrorReply(Struct, kw_only=True, rename="camel"):
    """``ErrorResponse``: every 4xx and 5xx carries it. ``errorId`` is the reference Worldline's support asks for."""

    error_id: str | int | None = None  # documented as a string; read a number too
    errors: list[ErrorItem] | None = None
