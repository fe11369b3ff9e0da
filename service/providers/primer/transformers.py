"""Pure mapping between our commands and Primer's JSON. No I/O, testable from recorded bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from contracts.commands import Address, CreatePrimerSession, Customer, PrimerLineItem, UpdatePrimerSession
from contracts.events import PrimerSession, PrimerWarning
from contracts.names import ErrorCode
from service.providers.base import ProviderError, malformed_reply, status_error
from service.providers.primer import wire

PROVIDER = "primer"
KEY_EXISTS = "IdempotencyKeyAlreadyExists"
_encoder = msgspec.json.Encoder()
_reply_decoder = msgspec.json.Decoder(wire.ClientSessionReply)
_error_decoder = msgspec.json.Decoder(wire.ErrorReply)


def _address(address: Address | None, customer: Customer) -> wire.Address | None:
    if address is None:
        return None
    return wire.Address(
        first_name=customer.first_name,
        last_name=customer.last_name,
        address_line1=address.line1,
        address_line2=address.line2,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        country_code=address.country_code,
    )


def _customer(customer: Customer | None) -> wire.Customer | None:
    if customer is None:
        return None
    return wire.Customer(
        email_address=customer.email,
        mobile_number=customer.phone,
        first_name=customer.first_name,
        last_name=customer.last_name,
        billing_address=_address(customer.billing_address, customer),
        shipping_address=_address(customer.shipping_address, customer),
    )


def _line_items(items: list[PrimerLineItem] | None) -> list[wire.LineItem] | None:
    if items is None:
        return None
    return [
        wire.LineItem(
            item_id=item.item_id,
            amount=item.amount,
            quantity=item.quantity,
            description=item.description if item.description is not None else UNSET,
        )
        for item in items
    ]


def _or_unset(value: Any) -> Any:
    return UNSET if value is None else value


def create_body(command: CreatePrimerSession) -> bytes:
    options = command.options
    payment_method = options.payment_method
    body = wire.ClientSessionRequest(
        order_id=_or_unset(command.order_id),
        currency_code=_or_unset(command.currency),
        amount=_or_unset(command.amount),
        customer_id=_or_unset(command.customer.id if command.customer else None),
        customer=_or_unset(_customer(command.customer)),
        metadata=_or_unset(command.metadata),
        order=wire.Order(
            country_code=_or_unset(options.country_code), line_items=_or_unset(_line_items(options.line_items))
        ),
        payment_method=UNSET
        if payment_method is None
        else wire.PaymentMethod(
            vault_on_success=_or_unset(payment_method.vault_on_success),
            descriptor=_or_unset(payment_method.descriptor),
        ),
    )
    return _encoder.encode(body)


def _patch(value: Any, convert: Any = None) -> Any:
    """UNSET stays unset (field unchanged), None becomes null (field cleared)."""
    if value is UNSET or value is None or convert is None:
        return value
    return convert(value)


def update_body(command: UpdatePrimerSession) -> bytes:
    options = command.options
    order: wire.Order | UnsetType = UNSET
    if options.country_code is not UNSET or options.line_items is not UNSET:
        order = wire.Order(country_code=options.country_code, line_items=_patch(options.line_items, _line_items))
    customer = command.customer
    body = wire.ClientSessionRequest(
        client_token=command.session_id,
        order_id=command.order_id,
        currency_code=command.currency,
        amount=command.amount,
        customer_id=_patch(customer, lambda c: c.id if c.id is not None else UNSET),
        customer=_patch(customer, _customer),
        metadata=command.metadata,
        order=order,
    )
    return _encoder.encode(body)


def _parse_expiry(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_session(status: int, body: bytes, *, previous_token: str | None = None) -> PrimerSession:
    """A 2xx reply as a session. PATCH may omit ``clientToken`` (unconfirmed): then the old one stands."""
    try:
        reply = _reply_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(PROVIDER, status, "a body that is not a client session") from None
    token = reply.client_token or previous_token
    if not token:
        raise malformed_reply(PROVIDER, status, "no clientToken")
    return PrimerSession(
        id=token,
        client_token=token,
        expires_at=_parse_expiry(reply.client_token_expiration_date or reply.client_expiration_date),
        warnings=[PrimerWarning(type=w.type, code=w.code, message=w.message) for w in reply.warnings or []],
    )


def _first_field(validation_errors: list[Any] | None) -> tuple[str | None, str | None]:
    """(path, description) of the first validation error, whatever nesting Primer uses."""
    for item in validation_errors or []:
        if not isinstance(item, dict):
            continue
        nested = item.get("errors")
        if isinstance(nested, list) and nested:
            return _first_field(nested)
        path = item.get("path") or item.get("field")
        if isinstance(path, str):
            description = item.get("description") or item.get("message")
            return path, description if isinstance(description, str) else None
    return None, None


def parse_error(status: int, body: bytes) -> ProviderError:
    """Any non-2xx reply as a typed error. The body may be HTML from a CDN: never assume it parses."""
    try:
        detail = _error_decoder.decode(body).error
    except (msgspec.DecodeError, msgspec.ValidationError):
        return status_error(status, f"primer answered {status} without a Primer error body")
    field, field_message = _first_field(detail.validation_errors)
    message = field_message or detail.description or f"primer answered {status}"
    error = status_error(
        status,
        message[:500],
        provider_code=detail.error_id,
        field=field,
        request_id=detail.diagnostics_id,
    )
    if status == 409 and detail.error_id == KEY_EXISTS:
        error.code, error.retryable = ErrorCode.CONFLICT, True
    return error
