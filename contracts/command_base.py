"""What every command has, whatever its provider: the envelope (identity, account, order reference, tracing) and
the shared customer shapes. Each provider's module in ``contracts.providers`` adds what that provider takes."""

from __future__ import annotations

from msgspec import UNSET, Struct, UnsetType

from contracts.types import (
    AccountName,
    CommandId,
    CorrelationId,
    CountryCode,
    IssuedAt,
    OrderId,
    SessionId,
    ShortText,
    Text,
)


class Address(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    line1: Text | None = None
    line2: Text | None = None
    city: ShortText | None = None
    postal_code: ShortText | None = None
    state: ShortText | None = None
    country_code: CountryCode | None = None


class Customer(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: ShortText | None = None
    email: ShortText | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    phone: ShortText | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None


class CreateCommand(Struct, tag_field="provider", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``session.create``: the envelope every provider's create command starts with."""

    command_id: CommandId
    account: AccountName = "default"
    order_id: OrderId | None = None  # copied to every event about the command
    correlation_id: CorrelationId | None = None
    issued_at: IssuedAt | None = None


class UpdateCommand(Struct, tag_field="provider", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``session.update``: fields left out are unchanged. ``session_id`` is ``session.id`` from
    ``session.created``; providers that put it into a URL path narrow it to their id alphabet."""

    command_id: CommandId
    account: AccountName = "default"
    session_id: SessionId
    order_id: OrderId | UnsetType = UNSET
    correlation_id: CorrelationId | None = None
    issued_at: IssuedAt | None = None
