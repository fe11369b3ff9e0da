"""``payment-sessions dead-letters``: list, replay or purge the dead-letter queue.

Two kinds of dead letters arrive there: poison the service dead-letters itself (``x-payment-sessions-*``
headers) and commands the broker dead-letters after the commands queue's delivery limit (``x-death``).

A quorum queue cannot be browsed, so ``list`` and ``replay`` take the first ``n`` messages (``n`` = the
queue's count at the start, prefetch ``n``) without acking them, and close that channel at the end: every
message not acked goes back, in its original order. Only a dead letter whose republish the broker confirmed
is acked. Messages that arrive meanwhile are never taken, so a replayed command that dies again cannot loop.
Bodies are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Literal, TextIO

import aio_pika
import aiormq
import msgspec
import structlog
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, AbstractIncomingMessage, AbstractQueue
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError, ChannelNotFoundEntity, PublishError
from msgspec import Struct
from pamqp.common import FieldTable, FieldValue

from contracts.names import CommandType
from service.exits import Exit, broker_failure
from service.messaging.connection import connect
from service.messaging.disposition import REASON_HEADER
from service.settings import Settings

log = structlog.get_logger("payment_sessions.dead_letters")

OUR_PREFIX = "x-payment-sessions-"
ROUTING_KEY_HEADER = "x-payment-sessions-original-routing-key"
REPLAYED_HEADER = "x-payment-sessions-replayed"
_BROKER_HEADERS = frozenset({"x-death", "x-delivery-count"})
_BROKER_PREFIXES = ("x-first-death-", "x-last-death-")
REPLAYABLE = frozenset(command_type.value for command_type in CommandType)
MAX_HELD = 65535  # the largest AMQP prefetch: at most this many dead letters are taken per run
IDLE_TIMEOUT = 5.0  # seconds to wait for the next of the n deliveries (fewer when one vanished meanwhile)
SETTLE_TIMEOUT = 5.0  # seconds to wait, after closing the channel, for the returned messages to be ready again
PROGRESS_EVERY = 500  # replay: a progress line every this many dead letters ...
PROGRESS_INTERVAL = 1.0  # ... or every this many seconds, whichever comes first
DELIVERIES_WARNING = 10  # quorum queues count every return; a delivery limit would drop the dead letter
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Source = Literal["service", "broker", "unknown"]


class DeadLetterError(Exception):
    """The dead-letter queue or the commands exchange cannot be used; the message says which."""


class DeadLetterInfo(Struct, frozen=True, kw_only=True):
    """What ``list`` shows of one dead letter: never the body."""

    message_id: str | None
    routing_key: str | None  # the original routing key
    reason: str
    source: Source  # who dead-lettered it: the service (poison) or the broker (delivery limit, ...)
    size: int  # body bytes
    timestamp: datetime | None  # when it was dead-lettered, where known
    replays: int  # how often it was replayed before
    deliveries: int  # how often the dead-letter queue handed it out and took it back (x-delivery-count)


class Listing(Struct, frozen=True, kw_only=True):
    queue: str
    queued: int  # ready messages when the listing started
    letters: list[DeadLetterInfo]


class NotReplayed(Struct, frozen=True):
    letter: DeadLetterInfo
    why: str


class ReplayReport(Struct, kw_only=True):
    replayed: list[DeadLetterInfo] = []
    not_replayed: list[NotReplayed] = []
    missing: list[str] = []  # --id values no dead letter carries

    @property
    def complete(self) -> bool:
        return not self.not_replayed and not self.missing


class PurgeReport(Struct, frozen=True, kw_only=True):
    queue: str
    count: int  # removed, or (not purged) that would be removed
    purged: bool


# --- reading headers (pure) --------------------------------------------------------------------------


def _text(value: FieldValue) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return None


def _first_death(headers: Mapping[str, FieldValue]) -> FieldTable | None:
    """The newest entry of the broker's ``x-death`` (the broker puts it first)."""
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        return deaths[0]
    return None


def reason_of(headers: Mapping[str, FieldValue]) -> tuple[str, Source]:
    ours = _text(headers.get(REASON_HEADER))
    if ours is not None:
        return ours, "service"
    death = _first_death(headers)
    broker = _text(death.get("reason")) if death else _text(headers.get("x-first-death-reason"))
    if broker is not None:
        return broker, "broker"
    return "unknown", "unknown"


def original_routing_key(headers: Mapping[str, FieldValue]) -> str | None:
    ours = _text(headers.get(ROUTING_KEY_HEADER))
    if ours:
        return ours
    death = _first_death(headers)
    keys = death.get("routing-keys") if death else None
    if isinstance(keys, list) and keys:
        return _text(keys[0]) or None
    return None


def replay_count(headers: Mapping[str, FieldValue]) -> int:
    count = headers.get(REPLAYED_HEADER)
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0


def deliveries_of(headers: Mapping[str, FieldValue]) -> int:
    count = headers.get("x-delivery-count")
    return count if isinstance(count, int) and not isinstance(count, bool) else 0


def replay_headers(headers: Mapping[str, FieldValue]) -> dict[str, FieldValue]:
    """The sender's own headers, without our dead-letter headers and the broker's, plus the replay count."""
    kept: dict[str, FieldValue] = {
        key: value
        for key, value in headers.items()
        if not key.startswith(OUR_PREFIX) and key not in _BROKER_HEADERS and not key.startswith(_BROKER_PREFIXES)
    }
    kept[REPLAYED_HEADER] = replay_count(headers) + 1
    return kept


def _utc(value: FieldValue) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def describe(message: AbstractIncomingMessage) -> DeadLetterInfo:
    headers = message.headers or {}
    reason, source = reason_of(headers)
    death = _first_death(headers)
    dead_at = _utc(death.get("time")) if source == "broker" and death else None
    return DeadLetterInfo(
        message_id=message.message_id,
        routing_key=original_routing_key(headers),
        reason=reason,
        source=source,
        size=len(message.body),
        timestamp=dead_at or _utc(message.timestamp),
        replays=replay_count(headers),
        deliveries=deliveries_of(headers),
    )


def replay_message(message: AbstractIncomingMessage) -> aio_pika.Message:
    return aio_pika.Message(
        message.body,
        headers=replay_headers(message.headers or {}),
        content_type=message.content_type,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


def selected(letter: DeadLetterInfo, ids: Collection[str] | None) -> bool:
    return ids is None or (letter.message_id is not None and letter.message_id in ids)


# --- output (pure) -----------------------------------------------------------------------------------


def _safe(value: str | None) -> str:
    """A field from the message as one inert token: control characters escaped, "-" for none."""
    if not value:
        return "-"
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", value)


def format_line(letter: DeadLetterInfo) -> str:
    when = letter.timestamp.isoformat().replace("+00:00", "Z") if letter.timestamp else "-"
    fields = [_safe(letter.message_id), _safe(letter.routing_key), _safe(letter.reason), str(letter.size), when]
    return "\t".join(fields)


def format_json(letter: DeadLetterInfo) -> str:
    return msgspec.json.encode(letter).decode()


def _plural(count: int, word: str = "dead letter") -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def listing_lines(listing: Listing, *, as_json: bool) -> list[str]:
    if as_json:
        return [format_json(letter) for letter in listing.letters]
    lines = [format_line(letter) for letter in listing.letters]
    total = f"total: {_plural(len(listing.letters))} in {listing.queue}"
    if len(listing.letters) < listing.queued:
        total += f" ({listing.queued} were queued; at most {MAX_HELD} are read per run)"
    return [*lines, total]


def replay_lines(report: ReplayReport) -> list[str]:
    lines = [
        f"replayed\t{_safe(letter.message_id)}\t{_safe(letter.routing_key)}\treplay {letter.replays + 1}"
        for letter in report.replayed
    ]
    lines += [
        f"not replayed\t{_safe(item.letter.message_id)}\t{_safe(item.letter.routing_key)}\t{item.why}"
        for item in report.not_replayed
    ]
    lines += [f"not found\t{_safe(message_id)}" for message_id in report.missing]
    lines.append(
        f"total: {len(report.replayed)} replayed, {len(report.not_replayed)} not replayed (left in the queue), "
        f"{len(report.missing)} not found"
    )
    return lines


def purge_lines(report: PurgeReport) -> list[str]:
    if report.purged:
        return [f"purged {_plural(report.count)} from {report.queue}"]
    if not report.count:
        return [f"{report.queue} is empty: nothing to purge"]
    return [f"refusing to purge: {_plural(report.count)} would be removed from {report.queue}; add --yes"]


# --- the broker ----------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _connected(settings: Settings, action: str) -> AsyncIterator[AbstractConnection]:
    log.info("dead letters", action=action, broker=settings.broker.where)
    connection = await connect(settings.broker, name=f"payment-sessions-dead-letters-{action}")
    async with connection:
        yield connection


async def _ready_count(connection: AbstractConnection, queue_name: str) -> int:
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(queue_name, passive=True)
    except ChannelNotFoundEntity:
        raise DeadLetterError(f"the dead-letter queue {queue_name!r} does not exist") from None
    count = queue.declaration_result.message_count
    await channel.close()
    return count or 0


class _Hold:
    """The first ``count`` messages of a queue, delivered unacked on one channel."""

    def __init__(self, channel: AbstractChannel, queue: AbstractQueue, queued: int) -> None:
        self._channel = channel
        self._queue = queue
        self.queued = queued  # ready when the hold began
        self.count = min(queued, MAX_HELD)
        self.acked = 0

    async def deliveries(self) -> AsyncIterator[AbstractIncomingMessage]:
        if not self.count:
            return
        await self._channel.set_qos(prefetch_count=self.count)
        inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        await self._queue.consume(inbox.put)
        for _ in range(self.count):
            try:
                yield await asyncio.wait_for(inbox.get(), IDLE_TIMEOUT)
            except TimeoutError:  # a message went away after the count (another purge or consumer)
                return

    async def ack(self, message: AbstractIncomingMessage) -> None:
        await message.ack()
        self.acked += 1


@contextlib.asynccontextmanager
async def _holding(connection: AbstractConnection, queue_name: str) -> AsyncIterator[_Hold]:
    """Hold the queue's first messages; on exit close the channel, so the unacked ones return in order.

    Returns only once the queue is back to (at least) its count minus the acked messages, so the next
    command sees them all.
    """
    queued = await _ready_count(connection, queue_name)
    channel = await connection.channel()
    queue = await channel.declare_queue(queue_name, passive=True)
    hold = _Hold(channel, queue, queued)
    try:
        yield hold
    finally:
        await channel.close()
    await _settle(connection, queue_name, queued - hold.acked)


async def _settle(connection: AbstractConnection, queue_name: str, expected: int) -> None:
    deadline = asyncio.get_running_loop().time() + SETTLE_TIMEOUT
    while (ready := await _ready_count(connection, queue_name)) < expected:
        if asyncio.get_running_loop().time() > deadline:
            log.warning("dead letters not all ready again yet", queue=queue_name, ready=ready, expected=expected)
            return
        await asyncio.sleep(0.05)


async def list_dead_letters(settings: Settings) -> Listing:
    """Every dead letter (up to ``MAX_HELD``), in queue order; all of them stay in the queue, in place."""
    queue_name = settings.topology.dead_letter_queue
    async with _connected(settings, "list") as connection, _holding(connection, queue_name) as hold:
        letters = [describe(message) async for message in hold.deliveries()]
        queued = hold.queued
    crowded = sum(1 for letter in letters if letter.deliveries >= DELIVERIES_WARNING)
    if crowded:
        log.warning(
            "dead letters returned many times: a delivery limit on the dead-letter queue "
            "(RabbitMQ 4 sets 20 on quorum queues by default) would drop them",
            count=crowded,
            queue=queue_name,
        )
    return Listing(queue=queue_name, queued=queued, letters=letters)


async def _commands_exchange(connection: AbstractConnection, settings: Settings) -> AbstractExchange:
    name = settings.topology.commands_exchange
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    try:
        return await channel.get_exchange(name, ensure=True)
    except ChannelNotFoundEntity:
        raise DeadLetterError(f"the commands exchange {name!r} does not exist") from None


async def _republish(
    exchange: AbstractExchange, message: AbstractIncomingMessage, routing_key: str, timeout: float
) -> str | None:
    """Publish the replay and wait for the confirm; the reason it failed, or None."""
    try:
        await exchange.publish(replay_message(message), routing_key, mandatory=True, timeout=timeout)
    except PublishError:
        return f"returned: no queue is bound for {routing_key!r} on {exchange.name}"
    except (TimeoutError, AMQPError, aiormq.exceptions.AMQPError, ChannelInvalidStateError, RuntimeError) as exc:
        return f"not confirmed ({type(exc).__name__})"
    return None


async def _replay_one(
    hold: _Hold, exchange: AbstractExchange, message: AbstractIncomingMessage, letter: DeadLetterInfo, timeout: float
) -> str | None:
    """Replay one held dead letter; the reason it stays in the queue, or None once replayed and acked."""
    if letter.routing_key not in REPLAYABLE:
        return f"original routing key {_safe(letter.routing_key)} is not a command ({', '.join(sorted(REPLAYABLE))})"
    failure = await _republish(exchange, message, letter.routing_key, timeout)
    if failure:
        return failure
    try:
        await hold.ack(message)
    except Exception as exc:  # noqa: BLE001 - the channel died: the dead letter returns to the queue
        return f"replayed, but still in the queue: the ack failed ({type(exc).__name__})"
    return None


class Progress:
    """How far a replay is, as a line on ``stream`` every ``every`` dead letters or ``interval`` seconds.

    Thousands of confirmed republishes take a while: without it the operator sees nothing until the end.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        every: int = PROGRESS_EVERY,
        interval: float = PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._every = every
        self._interval = interval
        self._clock = clock
        self._last = clock()

    def __call__(self, seen: int, total: int, report: ReplayReport) -> None:
        now = self._clock()
        if seen % self._every and now - self._last < self._interval and seen < total:
            return
        self._last = now
        line = (
            f"replay: {seen} of {total} dead letters looked at, {len(report.replayed)} replayed, "
            f"{len(report.not_replayed)} not replayed"
        )
        print(line, file=self._stream, flush=True)


async def replay(
    settings: Settings, ids: Collection[str] | None, progress: Callable[[int, int, ReplayReport], None] | None = None
) -> ReplayReport:
    """Republish the selected dead letters (``ids`` None: all) as fresh commands; the rest stay, in place.

    ``progress`` is called after each dead letter looked at with how many so far, of how many, and the report.
    """
    report = ReplayReport()
    found: set[str] = set()
    timeout = settings.broker.publish_timeout
    async with _connected(settings, "replay") as connection:
        exchange = await _commands_exchange(connection, settings)
        async with _holding(connection, settings.topology.dead_letter_queue) as hold:
            seen = 0
            async for message in hold.deliveries():
                seen += 1
                letter = describe(message)
                if selected(letter, ids):
                    found.add(letter.message_id or "")
                    why = await _replay_one(hold, exchange, message, letter, timeout)
                    if why is None:
                        report.replayed.append(letter)
                    else:
                        report.not_replayed.append(NotReplayed(letter, why))
                if progress is not None:
                    progress(seen, hold.count, report)
    report.missing = [message_id for message_id in dict.fromkeys(ids or ()) if message_id not in found]
    log.info("dead letters replayed", replayed=len(report.replayed), not_replayed=len(report.not_replayed))
    return report


async def purge(settings: Settings, *, confirmed: bool) -> PurgeReport:
    """Remove every ready dead letter; without ``confirmed`` only count them."""
    queue_name = settings.topology.dead_letter_queue
    async with _connected(settings, "purge") as connection:
        if not confirmed:
            return PurgeReport(queue=queue_name, count=await _ready_count(connection, queue_name), purged=False)
        await _ready_count(connection, queue_name)  # a clear error when the queue is missing
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        result = await queue.purge()
        count = result.message_count or 0
    log.info("dead letters purged", queue=queue_name, count=count)
    return PurgeReport(queue=queue_name, count=count, purged=True)


# --- the CLI -------------------------------------------------------------------------------------------


def _print(lines: list[str]) -> None:
    for line in lines:
        print(line)


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "list":
        _print(listing_lines(await list_dead_letters(settings), as_json=args.json))
        return 0
    if args.action == "replay":
        report = await replay(settings, None if args.all else args.ids, Progress(sys.stderr))
        _print(replay_lines(report))
        return 0 if report.complete else 1
    purged = await purge(settings, confirmed=args.yes)
    _print(purge_lines(purged))
    return 0 if purged.purged or not purged.count else 1


async def run_from_args(settings: Settings, args: argparse.Namespace) -> int:
    """0: done; 1: something was not replayed, or purge refused; 2: the queue or the exchange is missing;
    4: the broker is unreachable; 5: it refused the login (``service.exits``)."""
    try:
        return await _run(settings, args)
    except DeadLetterError as exc:
        print(f"payment-sessions dead-letters: {exc}", file=sys.stderr)
        return Exit.USAGE
    except Exception as exc:
        failed = broker_failure(exc, settings.broker.where)
        if failed is None:
            raise
        print(f"payment-sessions dead-letters: {failed[1]}", file=sys.stderr)
        return failed[0]
