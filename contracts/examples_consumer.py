"""An example analytics consumer: counts payment-session events per provider and outcome.

Usage::

    python -m contracts.examples_consumer --amqp-url amqp://guest:guest@localhost:5672/ --queue analytics.sessions
    python -m contracts.examples_consumer --amqp-url ... --queue analytics.sessions --duration 60 --every 10
    python -m contracts.examples_consumer --amqp-url ... --queue analytics.sessions --count 1000 \\
        --events-exchange payment-sessions.events

It declares its own durable quorum queue (``--queue``) bound to the events exchange with ``session.#``, so events
published while it is down wait for it (delete the queue when you stop counting for good:
``rabbitmqctl delete_queue analytics.sessions``). It stops after ``--count`` messages, after ``--duration``
seconds, or on SIGINT/SIGTERM, and prints a table of events per provider and outcome then (and every ``--every``
seconds)::

    provider  outcome                    events
    mpgs      failed/validation_failed        1
    primer    created                         2
    3 events, 1 duplicate ignored, 0 undecodable

What every consumer of the events should do, shown here:

- read leniently: :func:`contracts.codec.decode_event` ignores fields it does not know; an event type newer than
  this code is still counted under its ``type``; a body that is not an event is counted and acked (never requeued
  forever);
- dedupe on ``event_id``: delivery is at least once, and the service republishes the same event (same
  ``event_id``) for a duplicate command. This keeps the last 100,000 ids in memory; a real consumer keeps them
  where it keeps its counts (a unique key in its database), so a restart does not count twice;
- ack after the event is counted; an unacked message (a crash mid-way) comes back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections import Counter, OrderedDict
from typing import TextIO

import aio_pika
import msgspec
from aio_pika.abc import AbstractIncomingMessage

from contracts.codec import decode_event
from contracts.events import SessionFailed
from contracts.names import Topology

DEFAULT_EVENTS_EXCHANGE = Topology().events_exchange


class _AnyEvent(msgspec.Struct):
    """The few fields any event type has, for an event type newer than this code."""

    type: str
    event_id: str
    provider: str | None = None


class Tally:
    """Events per (provider, outcome), deduplicated on ``event_id`` over the last ``remember`` events."""

    def __init__(self, remember: int = 100_000) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.received = 0
        self.duplicates = 0
        self.undecodable = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def add(self, body: bytes) -> bool:
        """Count one message body; False when it is a duplicate or not an event."""
        self.received += 1
        try:
            event = decode_event(body)
            event_id, provider = event.event_id, event.provider
            outcome = f"failed/{event.error.code}" if isinstance(event, SessionFailed) else event_type(event)
        except msgspec.DecodeError:
            try:
                other = msgspec.json.decode(body, type=_AnyEvent)
            except msgspec.DecodeError:
                self.undecodable += 1
                return False
            event_id, provider, outcome = other.event_id, other.provider, other.type.removeprefix("session.")
        if event_id in self._seen:
            self._seen.move_to_end(event_id)
            self.duplicates += 1
            return False
        self._seen[event_id] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        self.counts[(provider or "-", outcome)] += 1
        return True

    def table(self) -> str:
        rows = [("provider", "outcome", "events")] + [(p, o, str(n)) for (p, o), n in sorted(self.counts.items())]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [f"{p:<{widths[0]}}  {o:<{widths[1]}}  {n:>{widths[2]}}" for p, o, n in rows]
        total = sum(self.counts.values())
        plural = "" if self.duplicates == 1 else "s"
        lines.append(f"{total} events, {self.duplicates} duplicate{plural} ignored, {self.undecodable} undecodable")
        return "\n".join(lines)


def event_type(event: msgspec.Struct) -> str:
    """``created`` / ``updated`` / ``failed`` from an event's ``type`` tag."""
    return str(type(event).__struct_config__.tag).removeprefix("session.")


async def consume(
    amqp_url: str,
    queue: str,
    *,
    events_exchange: str = DEFAULT_EVENTS_EXCHANGE,
    count: int | None = None,
    duration: float | None = None,
    every: float | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    out: TextIO = sys.stdout,
) -> Tally:
    """Count events from ``queue`` until ``count`` messages, ``duration`` seconds or ``stop``; return the tally.

    ``ready`` is set once the queue is bound and consumed; ``every`` prints the table every so many seconds.
    """
    tally = Tally()
    done = stop or asyncio.Event()
    connection = await aio_pika.connect_robust(amqp_url, client_properties={"connection_name": "analytics-example"})
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=100)
        exchange = await channel.declare_exchange(events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        declared = await channel.declare_queue(queue, durable=True, arguments={"x-queue-type": "quorum"})
        await declared.bind(exchange, "session.#")

        async def on_message(message: AbstractIncomingMessage) -> None:
            if done.is_set() or (count is not None and tally.received >= count):
                return  # left unacked: it goes back to the queue when the channel closes
            tally.add(message.body)
            await message.ack()
            if count is not None and tally.received >= count:
                done.set()

        tag = await declared.consume(on_message)
        if ready is not None:
            ready.set()
        reporter = asyncio.create_task(_report(tally, every, out)) if every else None
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), duration)
        finally:
            if reporter is not None:
                reporter.cancel()
            with contextlib.suppress(Exception):
                await declared.cancel(tag)
    return tally


async def _report(tally: Tally, every: float, out: TextIO) -> None:
    while True:
        await asyncio.sleep(every)
        print(tally.table(), end="\n\n", file=out, flush=True)


async def _main(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    tally = await consume(
        args.amqp_url,
        args.queue,
        events_exchange=args.events_exchange,
        count=args.count,
        duration=args.duration,
        every=args.every,
        stop=stop,
    )
    print(tally.table())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contracts.examples_consumer", description="Count events per provider and outcome."
    )
    parser.add_argument("--amqp-url", required=True, help="e.g. amqp://guest:guest@localhost:5672/")
    parser.add_argument("--queue", required=True, help="this consumer's own queue (durable, quorum)")
    parser.add_argument("--events-exchange", default=DEFAULT_EVENTS_EXCHANGE)
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--count", type=int, help="stop after this many messages")
    parser.add_argument("--every", type=float, help="also print the table every this many seconds")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
