"""Pure mapping between our commands and Acquired's JSON. No I/O, testable from recorded bodies.

Every field of the Acquired command types reaches the request body, or the command is refused as
``invalid_command`` naming the field before any call (``tests/unit/test_acquired_conformance.py`` proves it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from contracts.events import AcquiredSession
from contracts.providers.acquired import CreateAcquiredSession, TdsChange, TdsOptions, UpdateAcquiredSession
from service.money import to_major
from service.providers.acquired import PROVIDER, wire
from service.providers.acquired.customer import custom_data, given, invalid_command, to_customer
from service.providers.acquired.errors import error_in_success
from service.providers.base import malformed_reply

SESSION_LIFETIME = timedelta(minutes=10)  # Acquired: a session_id expires 10 minutes after creation
ORDER_ID_MIN, ORDER_ID_MAX = 2, 50
# Acquired's reference lists exactly these currencies for transaction.currency (sent lower-case).
CURRENCIES: Final = frozenset(
    {"AED", "AUD", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "HKD", "JPY", "MXN", "SEK", "USD", "ZAR"}
)

_encoder = msgspec.json.Encoder(decimal_format="number")  # amounts go out as JSON numbers, never floats
_session_decoder = msgspec.json.Decoder(wire.SessionReply)

T = TypeVar("T")


def _currency(code: str) -> str:
    if code not in CURRENCIES:
        raise invalid_command("currency", f"Acquired takes only {', '.join(sorted(CURRENCIES))}")
    return code.lower()


def _order_id(order_id: str) -> str:
    if not ORDER_ID_MIN <= len(order_id) <= ORDER_ID_MAX:
        raise invalid_command("order_id", f"Acquired needs an order_id of {ORDER_ID_MIN} to {ORDER_ID_MAX} characters")
    return order_id


def _required(value: T | None, field: str) -> T:
    if value is None:
        raise invalid_command(field, f"Acquired needs {field} to create a session")
    return value


def _tds(tds: TdsOptions | TdsChange) -> wire.Tds:
    return wire.Tds(
        is_active=tds.is_active,
        challenge_preference=tds.challenge_preference,
        challenge_window_size=given(tds.challenge_window_size),
        contact_url=given(tds.contact_url),
        redirect_url=given(tds.redirect_url),
        webhook_url=given(tds.webhook_url),
    )


def _list(values: Sequence[str] | UnsetType | None) -> list[str] | UnsetType:
    return UNSET if values is None or isinstance(values, UnsetType) else list(values)


# --- create ------------------------------------------------------------------------------------------


def _create_transaction(command: CreateAcquiredSession) -> wire.Transaction:
    currency = _required(command.currency, "currency")
    options = command.options
    return wire.Transaction(
        order_id=_order_id(_required(command.order_id, "order_id")),
        amount=to_major(_required(command.amount, "amount"), currency),
        currency=_currency(currency),
        capture=options.capture,
        moto=options.moto,
        custom_data=UNSET if command.metadata is None else custom_data(command.metadata),
        custom1=given(options.custom1),
        custom2=given(options.custom2),
    )


def create_body(command: CreateAcquiredSession) -> bytes:
    """``POST /v1/payment-sessions``. Raises ``invalid_command`` before any call when a must is missing."""
    options = command.options
    body = wire.PaymentSessionRequest(
        transaction=_create_transaction(command),
        customer=UNSET if command.customer is None else to_customer(command.customer),
        tds=UNSET if options.tds is None else _tds(options.tds),
        webhook_url=given(options.webhook_url),
        is_recurring=given(options.is_recurring),
        save_card=given(options.save_card),
        payment_methods=_list(options.payment_methods),
        company_domains=_list(options.company_domains),
    )
    return _encoder.encode(body)


# --- update ------------------------------------------------------------------------------------------


def _cleared(value: str | UnsetType | None) -> str | UnsetType:
    """``null`` in an update clears a free-text field: Acquired documents no ``null``, so an empty string is
    sent (unconfirmed at Acquired)."""
    return "" if value is None else value


def _metadata(metadata: dict[str, Any] | UnsetType | None) -> str | UnsetType:
    if isinstance(metadata, UnsetType):
        return UNSET
    return "" if metadata is None else custom_data(metadata)  # null clears, as in _cleared


def _amount(command: UpdateAcquiredSession) -> Decimal | UnsetType:
    if isinstance(command.amount, UnsetType):
        return UNSET
    if isinstance(command.currency, UnsetType):
        raise invalid_command("currency", "an amount update needs its currency")
    return to_major(command.amount, command.currency)


def _update_transaction(command: UpdateAcquiredSession) -> wire.Transaction | UnsetType:
    options = command.options
    transaction = wire.Transaction(
        order_id=UNSET if isinstance(command.order_id, UnsetType) else _order_id(command.order_id),
        amount=_amount(command),
        currency=UNSET if isinstance(command.currency, UnsetType) else _currency(command.currency),
        capture=options.capture,
        moto=options.moto,
        custom_data=_metadata(command.metadata),
        custom1=_cleared(options.custom1),
        custom2=_cleared(options.custom2),
    )
    return UNSET if transaction == wire.Transaction() else transaction


def update_body(command: UpdateAcquiredSession) -> bytes:
    """``PUT /v1/payment-sessions/{id}`` with only the changed parameters (UNSET fields are absent)."""
    options = command.options
    body = wire.PaymentSessionRequest(
        transaction=_update_transaction(command),
        customer=UNSET if isinstance(command.customer, UnsetType) else to_customer(command.customer),
        tds=UNSET if isinstance(options.tds, UnsetType) else _tds(options.tds),
        webhook_url=options.webhook_url,
        payment_methods=_list(options.payment_methods),
    )
    return _encoder.encode(body)


# --- replies -----------------------------------------------------------------------------------------


def parse_created(status: int, body: bytes, now: datetime) -> AcquiredSession:
    """A 2xx create reply (Acquired documents 201 for creations; any 2xx is read the same)."""
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
    """A 2xx update reply. Its body is not documented for sessions (Acquired's other updates answer 200
    ``{"status": "Success"}``): any 2xx is success unless it carries an Acquired error object. Acquired sends no
    expiry and does not say whether an update extends the 10 minutes, so ``expires_at`` stays unknown."""
    refusal = error_in_success(status, body)
    if refusal is not None:
        raise refusal
    return AcquiredSession(id=session_id, expires_at=None)
