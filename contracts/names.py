"""Routing names, message types and the error vocabulary: the words every party shares."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import msgspec

CLOUDEVENTS_SPECVERSION: Final = "1.0"

PROVIDERS: Final = ("primer", "worldline", "worldline-applepay", "mpgs", "acquired")


class CommandType(StrEnum):
    """Routing keys of commands on the commands exchange."""

    CREATE = "session.create"
    UPDATE = "session.update"


class EventType(StrEnum):
    """Routing keys (and the ``type`` field) of events on the events exchange."""

    CREATED = "session.created"
    UPDATED = "session.updated"
    FAILED = "session.failed"
    EXPIRED = "session.expired"  # not an answer to a command: a session the service made ran out


class ErrorCode(StrEnum):
    """The documented vocabulary of ``session.failed`` ``error.code``.

    Consumers must treat an unknown code as a plain failure: the vocabulary may grow within a version.
    """

    INVALID_COMMAND = "invalid_command"  # the command itself is malformed or names nothing we know
    VALIDATION_FAILED = "validation_failed"  # the provider refused a field
    AUTHENTICATION_FAILED = "authentication_failed"  # our credentials were refused
    NOT_FOUND = "not_found"  # the session (or merchant) does not exist at the provider
    CONFLICT = "conflict"  # same command_id, different payload; or the provider's state conflicts
    PROVIDER_UNAVAILABLE = "provider_unavailable"  # 5xx, connection refused or reset
    RATE_LIMITED = "rate_limited"  # 429
    TIMEOUT = "timeout"  # no answer within the call timeout
    UNSUPPORTED = "unsupported"  # the provider's API has no such operation
    EXPIRED = "expired"  # the command is older than the configured max age
    PROVIDER_ERROR = "provider_error"  # the provider answered something we cannot interpret
    FORBIDDEN = "forbidden"  # the publishing AMQP user may not send commands for the account
    MISCONFIGURED = "misconfigured"  # our configuration for the provider is wrong (e.g. a retired API version)


class Topology(msgspec.Struct, frozen=True, kw_only=True):
    """Names of the exchanges and queues; every one is configurable, these are the defaults."""

    commands_exchange: str = "payment-sessions.commands"
    commands_queue: str = "payment-sessions.commands"
    events_exchange: str = "payment-sessions.events"
    dead_letter_exchange: str = "payment-sessions.dead-letter"
    dead_letter_queue: str = "payment-sessions.dead-letter"
    # Optional catch-all queue bound to every event (``session.#``), capped at ``events_queue_max_length``.
    # Off by default: consumers bind their own queues. Local setups turn it on so events are never unroutable.
    events_queue: str | None = None
    events_queue_max_length: int = 100_000
