"""Events: ``session.created``, ``session.updated`` and ``session.failed``.

Events are tagged on ``type``. They are lenient to decode (unknown fields are ignored) so consumers keep
working when a later minor version adds fields. ``session`` is tagged on ``provider`` and carries only
client-facing data.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from contracts.types import ErrorCodeText, EventId, EventTime, ProviderTag

EventAmount = Annotated[int, Meta(ge=0, description="Amount in the currency's minor units, as in commands.")]
EventCurrency = Annotated[
    str, Meta(pattern=r"^[A-Z]{3}$(?!\n)", description="Upper-case ISO 4217 code, as in commands.")
]


class _SessionBase(Struct, tag_field="provider", frozen=True, kw_only=True):
    id: str
    expires_at: EventTime | None = None


class PrimerWarning(Struct, frozen=True, kw_only=True):
    type: str | None = None
    code: str | None = None
    message: str | None = None


class PrimerSession(_SessionBase, tag="primer", frozen=True, kw_only=True):
    """``id`` is the client token (Primer names sessions by it)."""

    client_token: str
    warnings: list[PrimerWarning] = []


class WorldlineSession(_SessionBase, tag="worldline", frozen=True, kw_only=True):
    """``id`` is ``client_session_id``; the session lives 2 hours from creation."""

    client_session_id: str
    customer_id: str
    client_api_url: str | None = None
    asset_url: str | None = None
    invalid_tokens: list[str] = []
    region: str | None = None


class ApplePaySession(_SessionBase, tag="worldline-applepay", frozen=True, kw_only=True):
    """``session_object`` is Apple's opaque merchant session, to hand to ``completeMerchantValidation``."""

    session_object: str


class MpgsSession(_SessionBase, tag="mpgs", frozen=True, kw_only=True):
    version: str | None = None
    update_status: str | None = None
    authentication_limit: int | None = None
    aes256_key: str | None = None  # only when the account opts in (include_aes256_key)


class AcquiredSession(_SessionBase, tag="acquired", frozen=True, kw_only=True):
    """``id`` is Acquired's ``session_id``; the session lives 10 minutes."""


Session = PrimerSession | WorldlineSession | ApplePaySession | MpgsSession | AcquiredSession


class OtherSession(Struct, frozen=True, kw_only=True):
    """The session of a provider this version of the contract does not know yet (contracts/VERSIONING.md: a new
    provider is an additive change): its tag, id and expiry; the rest of it is ignored."""

    provider: str
    id: str
    expires_at: EventTime | None = None


class ErrorInfo(Struct, frozen=True, kw_only=True):
    code: ErrorCodeText  # see contracts.names.ErrorCode
    message: str
    retryable: bool
    provider_status: int | None = None
    provider_code: str | None = None
    field: str | None = None
    # The provider's own reference of the failed call, to quote to its support: Worldline errorId, MPGS
    # supportCode, Primer diagnosticsId.
    provider_reference: str | None = None


class _EventBase(Struct, tag_field="type", frozen=True, kw_only=True):
    event_id: EventId
    occurred_at: EventTime
    command_id: str
    correlation_id: str | None = None
    provider: ProviderTag | None = None
    account: str | None = None
    order_id: str | None = None
    # The command's amount and currency where it had them (an update that left them alone has none), so revenue
    # per provider needs no join with the order service. Open for growth: any upper-case three-letter code.
    amount: EventAmount | None = None
    currency: EventCurrency | None = None


class SessionCreated(_EventBase, tag="session.created", frozen=True, kw_only=True):
    session: Session


class SessionUpdated(_EventBase, tag="session.updated", frozen=True, kw_only=True):
    session: Session


class SessionFailed(_EventBase, tag="session.failed", frozen=True, kw_only=True):
    operation: Literal["create", "update"]
    error: ErrorInfo
    attempts: int = 0  # provider attempts made; 0 when the command was refused before any call


class SessionExpired(_EventBase, tag="session.expired", frozen=True, kw_only=True):
    """A session the service created or updated reached its ``expires_at`` with no later update by the service:
    it can no longer be used. The envelope (``command_id`` ... ``currency``) is that of the command whose event
    set this expiry. Published once the time has passed (within about a second), at least once."""

    session_id: str
    expires_at: EventTime


Event = SessionCreated | SessionUpdated | SessionFailed | SessionExpired


# A session of a provider added after this version of the contract: ``contracts.codec.decode_event`` falls back to
# these, which are still ``SessionCreated`` / ``SessionUpdated`` (subclasses), with an ``OtherSession``.
class SessionCreatedElsewhere(SessionCreated, tag="session.created", frozen=True, kw_only=True):
    session: OtherSession  # type: ignore[assignment]


class SessionUpdatedElsewhere(SessionUpdated, tag="session.updated", frozen=True, kw_only=True):
    session: OtherSession  # type: ignore[assignment]
