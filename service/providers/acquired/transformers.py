"""Pure mapping between our commands and Acquired's JSON. No I/O, testable from recorded bodies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from contracts.commands import (
    Address,
    CreateAcquiredSession,
    Customer,
    TdsOptions,
    UpdateAcquiredSession,
)
from contracts.events import AcquiredSession
from contracts.names import ErrorCode
from service.money import to_major
from service.providers.acquired import wire
from service.providers.acquired.errors import PROVIDER, error_in_success
from service.providers.base import ProviderError, malformed_reply

SESSION_LIFETIME = timedelta(minutes=10)  # Acquired: a session_id expires 10 minutes after creation
ORDER_ID_MIN, ORDER_ID_MAX = 2, 50

_encoder = msgspec.json.Encoder(decimal_format="number")  # amounts go out as JSON numbers, never floats
_session_decoder = msgspec.json.Decoder(wire.SessionReply)

T = TypeVar("T")


def invalid_command(field: str, message: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_COMMAND, message, retryable=False, field=field)


def _given(value: T | None) -> T | UnsetType:
    return UNSET if value is None else value


# --- create / update ---------------------------------------------------------------------------------


def _address(address: Address | None) -> wire.Address | UnsetType:
    if address is None:
        return UNSET
    country = address.country_code.lower() if address.country_code else None
    # Acquired's ``state`` is an ISO 3166-2 subdivision code (max 3 characters) for US addresses only;
    # Acquired's own WooCommerce plugin sends it only for "us", lower-case. We do the same.
    state = address.state.lower() if address.state and country == "us" else None
    return wire.Address(
        line_1=_given(address.line1),
        line_2=_given(address.line2),
        city=_given(address.city),
        state=_given(state),
        postcode=_given(address.postal_code),
        country_code=_given(country),
    )


def _customer(customer: Customer) -> wire.Customer | UnsetType:
    """Our customer in Acquired's shape (fields as in Acquired's "create a customer" reference).

    ``phone`` is left out on purpose: Acquired wants ``{"country_code": <dialling code>, "number": <digits>}``
    and our single free-text phone cannot be split into those without guessing.
    """
    billing = wire.Billing(address=_address(customer.billing_address), email=_given(customer.email))
    shipping = wire.Shipping(address=_address(customer.shipping_address))
    mapped = wire.Customer(
        reference=_given(customer.id),  # the merchant's own customer reference (Acquired allows 0-50 chars)
        first_name=_given(customer.first_name),
        last_name=_given(customer.last_name),
        billing=UNSET if billing == wire.Billing() else billing,
        shipping=UNSET if shipping == wire.Shipping() else shipping,
    )
    return UNSET if mapped == wire.Customer() else mapped


def _tds(tds: TdsOptions) -> wire.Tds:
    return wire.Tds(
        is_active=tds.is_active,
        challenge_preference=tds.challenge_preference,
        contact_url=_given(tds.contact_url),
        redirect_url=_given(tds.redirect_url),
        webhook_url=_given(tds.webhook_url),
    )


def _check_order_id(order_id: str) -> str:
    if not ORDER_ID_MIN <= len(order_id) <= ORDER_ID_MAX:
        raise invalid_command("order_id", f"Acquired needs an order_id of {ORDER_ID_MIN} to {ORDER_ID_MAX} characters")
    return order_id


def _required(value: T | None, field: str) -> T:
    if value is None:
        raise invalid_command(field, f"Acquired needs {field} to create a session")
    return value


def create_body(command: CreateAcquiredSession) -> bytes:
    """``POST /v1/payment-sessions``. Raises ``invalid_command`` before any call when a must is missing.

    ``metadata`` has no Acquired counterpart in a session and is not sent.
    """
    order_id = _check_order_id(_required(command.order_id, "order_id"))
    amount = _required(command.amount, "amount")
    currency = _required(command.currency, "currency")
    options = command.options
    body = wire.PaymentSessionRequest(
        transaction=wire.Transaction(
            order_id=order_id,
            amount=to_major(amount, currency),
            currency=currency.lower(),
            capture=options.capture,
            moto=options.moto,
            custom1=_given(options.custom1),
        ),
        tds=UNSET if options.tds is None else _tds(options.tds),
        customer=UNSET if command.customer is None else _customer(command.customer),
        is_recurring=_given(options.is_recurring),
        save_card=_given(options.save_card),
        payment_methods=UNSET if options.payment_methods is None else list(options.payment_methods),
    )
    return _encoder.encode(body)


def _update_transaction(command: UpdateAcquiredSession) -> wire.Transaction | UnsetType:
    amount: Any = UNSET
    if not isinstance(command.amount, UnsetType):
        if isinstance(command.currency, UnsetType):
            raise invalid_command("currency", "an amount update needs its currency")
        amount = to_major(command.amount, command.currency)
    custom1 = command.options.custom1
    transaction = wire.Transaction(
        order_id=command.order_id if isinstance(command.order_id, UnsetType) else _check_order_id(command.order_id),
        amount=amount,
        currency=command.currency if isinstance(command.currency, UnsetType) else command.currency.lower(),
        capture=command.options.capture,
        # null is not known to be accepted: an empty custom1 is how we clear it (unconfirmed at Acquired).
        custom1="" if custom1 is None else custom1,
    )
    return UNSET if transaction == wire.Transaction() else transaction


def _update_customer(customer: Customer | UnsetType | None) -> wire.Customer | UnsetType:
    if isinstance(customer, UnsetType):
        return UNSET
    if customer is None:
        # Acquired documents no way to remove a session's customer (PUT leaves absent fields unchanged).
        raise invalid_command("customer", "Acquired cannot remove the customer of a session")
    return _customer(customer)


def update_body(command: UpdateAcquiredSession) -> bytes:
    """``PUT /v1/payment-sessions/{id}`` with only the changed parameters (UNSET fields are absent).

    ``metadata`` has no Acquired counterpart and is not sent.
    """
    options = command.options
    body = wire.PaymentSessionRequest(
        transaction=_update_transaction(command),
        tds=options.tds if isinstance(options.tds, UnsetType) else _tds(options.tds),
        customer=_update_customer(command.customer),
        is_recurring=options.is_recurring,
        save_card=options.save_card,
        payment_methods=options.payment_methods
        if isinstance(options.payment_methods, UnsetType)
        else list(options.payment_methods),
    )
    return _encoder.encode(body)


# --- replies -----------------------------------------------------------------------------------------


def parse_created(status: int, body: bytes, now: datetime) -> AcquiredSession:
    """A 2xx create reply (Acquired's exact status code is unconfirmed: any 2xx is read the same)."""
    refusal = error_in_success(status, body)
    if refusal is not None:
        raise refusal
    try:
        reply = _session_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise malformed_reply(PROVIDER, status, "a body that is not a payment session") from None
    if not reply.session_id:
        raise malformed_reply(PROVIDER, status, "no session_id")
    return AcquiredSession(id=reply.session_id, expires_at=now + SESSION_LIFETIME)


def parse_updated(status: int, body: bytes, session_id: str) -> AcquiredSession:
    """A 2xx update reply. Its body is unconfirmed (empty, ``{"status": "success"}``, the session...): any 2xx
    is success unless it carries an Acquired error object. Acquired sends no expiry and does not say whether
    an update extends the 10 minutes, so ``expires_at`` stays unknown."""
    refusal = error_in_success(status, body)
    if refusal is not None:
        raise refusal
    return AcquiredSession(id=session_id, expires_at=None)
