"""Exchanges, queues and bindings of the public contract: declared at start, or only verified.

One plan (``plan``) names every exchange, queue and binding with its arguments. ``declare`` creates it (the user
needs configure rights: the default, and ``payment-sessions topology``); ``verify`` only checks passively that it
exists, so the service can run as a least-privilege user (``[broker] topology = "verify"``); ``definitions``
renders it as a RabbitMQ definitions file (deploy/rabbitmq/definitions.json) with that user.

Queue arguments come in two kinds. *Fixed* ones (queue type, dead-lettering, a retry queue's TTL) define what the
queue is. *Tunable* ones (delivery limit, max length) are what an operator may want to change later: ``declare``
sets them as queue arguments so a bare broker works, the definitions make them policies, which RabbitMQ applies
and changes in place. A queue argument never changes in place: declaring different arguments for an existing
queue is refused by the broker, and ``declare`` turns that refusal into one ``TopologyMismatch`` naming the
queue, the argument, both values and how to migrate, instead of a PRECONDITION_FAILED traceback.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shlex
from typing import Any, NamedTuple

import aiormq
from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, AbstractQueue
from msgspec import Struct

from contracts.names import CommandType, Topology
from service.settings import Expiry, Retry, Settings

# Listing returns messages to the dead-letter queue, which counts as a delivery. RabbitMQ 4 gives quorum queues a
# default limit of 20 and this queue has nowhere to dead-letter to, so set one no one will reach (-1, "unlimited"
# on 4.x, drops at once on 3.x).
DEAD_LETTER_DELIVERY_LIMIT = 1_000_000
DEFAULT_EXCHANGE = "amq.default"  # the name RabbitMQ checks write permission on for the default exchange ("")
CREATE_HOW = (
    "run `payment-sessions topology` as a user that may configure the vhost, "
    "or import deploy/rabbitmq/definitions.json (`rabbitmqctl import_definitions`)"
)
POLICY_HINT = (
    "To change such a limit later without deleting the queue, let a policy set it (deploy/rabbitmq/definitions.json) "
    'and run the service with [broker] topology = "verify"'
)


class TopologyError(Exception):
    """The broker's exchanges and queues do not fit the service. The message says what and what to do; nothing
    changes by itself, so it is never retried."""


class TopologyMissing(TopologyError):
    """``verify``: exchanges or queues the service needs do not exist."""


class TopologyMismatch(TopologyError):
    """``declare``: an exchange or queue exists with other arguments than the service declares."""


class ExchangeSpec(NamedTuple):
    name: str
    type: ExchangeType = ExchangeType.TOPIC


class QueueSpec(NamedTuple):
    name: str
    fixed: dict[str, Any]  # what the queue is: set at creation, never changed
    tunable: dict[str, Any]  # x-arguments an operator may change: policies in the definitions
    settings: dict[str, str]  # tunable argument -> the setting it comes from, for error messages

    def arguments(self) -> dict[str, Any]:
        return {**self.fixed, **self.tunable}


class BindingSpec(NamedTuple):
    exchange: str
    queue: str
    routing_key: str


class Plan(NamedTuple):
    exchanges: list[ExchangeSpec]
    queues: list[QueueSpec]
    bindings: list[BindingSpec]


class Declared(Struct):
    commands: AbstractExchange
    events: AbstractExchange
    dead_letter: AbstractExchange
    commands_queue: AbstractQueue
    dead_letter_queue: AbstractQueue


def plan(names: Topology, *, delivery_limit: int, retry: Retry | None = None, expiry: Expiry | None = None) -> Plan:
    """Everything the service uses, in declaration order; retry queues only when ``retry`` is given, expiry tier
    queues (and the commands queue's binding for what comes back from them) when ``expiry`` is enabled."""
    exchanges = [
        ExchangeSpec(names.commands_exchange),
        ExchangeSpec(names.events_exchange),
        ExchangeSpec(names.dead_letter_exchange),
    ]
    queues = [
        QueueSpec(
            names.dead_letter_queue,
            {"x-queue-type": "quorum"},
            {"x-delivery-limit": DEAD_LETTER_DELIVERY_LIMIT},
            {},
        ),
        commands_queue_spec(names, delivery_limit=delivery_limit),
    ]
    bindings = [BindingSpec(names.dead_letter_exchange, names.dead_letter_queue, "#")]
    bindings += [BindingSpec(names.commands_exchange, names.commands_queue, kind.value) for kind in CommandType]
    if names.events_queue:
        queues.append(
            QueueSpec(
                names.events_queue,
                {"x-queue-type": "quorum"},
                {"x-max-length": names.events_queue_max_length},
                {"x-max-length": "[topology] events_queue_max_length"},
            )
        )
        bindings.append(BindingSpec(names.events_exchange, names.events_queue, "session.#"))
    if retry is not None:
        queues += retry_queue_specs(names, retry)
    if expiry is not None and expiry.enabled:
        queues += expiry_queue_specs(names, expiry)
        bindings.append(BindingSpec(names.commands_exchange, names.commands_queue, EXPIRY_ROUTING_KEY))
    return Plan(exchanges, queues, bindings)


def commands_queue_spec(names: Topology, *, delivery_limit: int) -> QueueSpec:
    return QueueSpec(
        names.commands_queue,
        {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": names.dead_letter_exchange,
            # at-least-once dead-lettering: a command the broker gives up on is never dropped in transit
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
        {"x-delivery-limit": delivery_limit},
        {"x-delivery-limit": "[broker] delivery_limit"},
    )


def retry_delays(retry: Retry) -> list[float]:
    """Every distinct delay that needs a retry queue: the backoff tiers, the busy and the store delay."""
    return sorted({*retry.delays, retry.busy_delay, retry.store_delay})


def retry_queue(names: Topology, command_type: CommandType, delay: float) -> str:
    """``<commands queue>.delayed.<delay>s.<create|update>``: holds a command for ``delay``, then dead-letters it
    back to the commands exchange under its own routing key. (Before issue 12 these were classic queues named
    ``….retry.…``: a new name, so an upgrade declares the quorum ones beside them while the old ones drain.)"""
    return f"{names.commands_queue}.delayed.{delay:g}s.{command_type.value.removeprefix('session.')}"


def retry_queue_specs(names: Topology, retry: Retry) -> list[QueueSpec]:
    """The TTL is fixed: another delay is another queue (its name says the delay). Quorum queues, replicated like
    the commands queue: a classic queue lives on one node, and while that node is down nothing can declare it, so
    a replica could not restore its channel on another node (found by tests/faults/test_cluster.py). Expired
    commands are dead-lettered at least once (RabbitMQ 3.10+; it needs ``reject-publish``), never dropped in
    transit."""
    return [
        QueueSpec(
            retry_queue(names, command_type, delay),
            {
                "x-queue-type": "quorum",
                "x-message-ttl": int(delay * 1000),
                "x-dead-letter-exchange": names.commands_exchange,
                "x-dead-letter-routing-key": command_type.value,
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
            {},
            {},
        )
        for delay in retry_delays(retry)
        for command_type in CommandType
    ]


EXPIRY_ROUTING_KEY = "session.expiry"  # internal: expiry pointers coming back from their tier queue


def expiry_queue(names: Topology, tier: float) -> str:
    """``<commands queue>.expiry.<tier>s``: holds expiry pointers for ``tier`` seconds (service/expiry.py)."""
    return f"{names.commands_queue}.expiry.{tier:g}s"


def expiry_queue_specs(names: Topology, expiry: Expiry) -> list[QueueSpec]:
    """Quorum TTL queues like the retry queues, dead-lettering back to the commands queue under
    ``EXPIRY_ROUTING_KEY``."""
    return [
        QueueSpec(
            expiry_queue(names, tier),
            {
                "x-queue-type": "quorum",
                "x-message-ttl": int(tier * 1000),
                "x-dead-letter-exchange": names.commands_exchange,
                "x-dead-letter-routing-key": EXPIRY_ROUTING_KEY,
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
            {},
            {},
        )
        for tier in expiry.tiers
    ]


# --- declare ----------------------------------------------------------------------------------------------------


async def declare(
    channel: AbstractChannel,
    names: Topology,
    *,
    delivery_limit: int,
    retry: Retry | None = None,
    expiry: Expiry | None = None,
) -> Declared:
    """Declare everything (idempotent while the arguments agree); ``TopologyMismatch`` when they do not."""
    spec = plan(names, delivery_limit=delivery_limit, retry=retry, expiry=expiry)
    exchanges = {exchange.name: await _declare_exchange(channel, exchange) for exchange in spec.exchanges}
    queues = {queue.name: await _declare_queue(channel, queue) for queue in spec.queues}
    for binding in spec.bindings:
        await queues[binding.queue].bind(exchanges[binding.exchange], routing_key=binding.routing_key)
    return Declared(
        exchanges[names.commands_exchange],
        exchanges[names.events_exchange],
        exchanges[names.dead_letter_exchange],
        queues[names.commands_queue],
        queues[names.dead_letter_queue],
    )


async def declare_commands_queue(channel: AbstractChannel, names: Topology, *, delivery_limit: int) -> AbstractQueue:
    """The commands queue (also declared on the consuming channel, with the same arguments)."""
    return await _declare_queue(channel, commands_queue_spec(names, delivery_limit=delivery_limit))


async def declare_retry_queues(channel: AbstractChannel, names: Topology, retry: Retry) -> list[str]:
    return [(await _declare_queue(channel, spec)).name for spec in retry_queue_specs(names, retry)]


async def _declare_exchange(channel: AbstractChannel, spec: ExchangeSpec) -> AbstractExchange:
    try:
        return await channel.declare_exchange(spec.name, spec.type, durable=True)
    except aiormq.exceptions.ChannelPreconditionFailed as exc:
        raise mismatch(str(exc), None) from None
    except aiormq.exceptions.ChannelAccessRefused:
        raise not_allowed(f"exchange {spec.name!r}") from None


async def _declare_queue(channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
    try:
        return await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments())
    except aiormq.exceptions.ChannelPreconditionFailed as exc:
        raise mismatch(str(exc), spec) from None
    except aiormq.exceptions.ChannelAccessRefused:
        raise not_allowed(f"queue {spec.name!r}") from None


def not_allowed(what: str) -> TopologyError:
    return TopologyError(
        f"the broker user may not declare {what} (it has no configure permission): a least-privilege user "
        f'runs the service with [broker] topology = "verify". To create the topology with admin rights, {CREATE_HOW}.'
    )


_INEQUIVALENT = re.compile(
    r"inequivalent arg '(?P<argument>[^']*)' for (?P<kind>queue|exchange) '(?P<name>.*)' in vhost '(?P<vhost>.*)': "
    r"received (?P<received>.*) but current is (?P<current>.*)$"
)
_VALUE = re.compile(r"(?:the value )?'(?P<value>.*?)'(?: of type '[^']*')?")


def _value(text: str) -> str | None:
    """A value as RabbitMQ words it (``'5'``, ``the value '20' of type 'long'``, ``none``)."""
    if text == "none":
        return None
    match = _VALUE.fullmatch(text)
    return match.group("value") if match else text


def mismatch(reply: str, spec: QueueSpec | None) -> TopologyMismatch:
    """The broker's PRECONDITION_FAILED reply as one message: what exists, what the service declares, what to do."""
    found = _INEQUIVALENT.search(reply)
    if found is None:
        what = f"queue {spec.name!r}" if spec else "an exchange"
        return TopologyMismatch(f"the broker refused to declare {what} as the service needs it: {reply}")
    kind, name, vhost, argument = found.group("kind", "name", "vhost", "argument")
    wanted, current = _value(found.group("received")), _value(found.group("current"))
    setting = spec.settings.get(argument) if spec else None
    tunable = spec is not None and argument in spec.tunable
    have = f"with {argument} = {current}" if current is not None else f"without {argument}"
    want = f"{argument} = {wanted}" if wanted is not None else f"no {argument}"
    text = (
        f"{kind} {name!r} in vhost {vhost!r} exists {have}, but the service declares {want}"
        + (f" (from {setting})" if setting else "")
        + f". RabbitMQ never changes {'an' if kind == 'exchange' else 'a'} {kind}'s arguments in place, so the "
        "service does not start. "
    )
    if tunable and current is None:
        text += (
            f"If a policy sets {argument.removeprefix('x-')} (as deploy/rabbitmq/definitions.json does), set [broker] "
            'topology = "verify" to use the queue as it is. Otherwise migrate: '
        )
    elif setting and current is not None:
        text += f"Either set {setting} = {current} again, or migrate: "
    else:
        text += "Migrate: "
    if kind == "queue":
        text += (
            "stop the publishers, let the service empty the queue, stop every replica, delete the queue "
            f"(`rabbitmqctl delete_queue -p {shlex.quote(vhost)} {shlex.quote(name)}`; its messages go with it) and "
            "start the service, which declares it anew."
        )
    else:
        text += (
            f"delete the exchange (management UI, or `rabbitmqadmin -V {shlex.quote(vhost)} delete exchange "
            f"name={shlex.quote(name)}`) and start the service, which declares it and its bindings anew; other "
            "consumers must bind their queues again."
        )
    if tunable and current is not None:
        text += " " + POLICY_HINT + "."
    return TopologyMismatch(text)


# --- verify -----------------------------------------------------------------------------------------------------


async def verify(
    connection: AbstractConnection, names: Topology, retry: Retry, *, vhost: str = "/", expiry: Expiry | None = None
) -> None:
    """Check passively (no rights needed) that every exchange and queue exists; ``TopologyMissing`` naming all
    that do not. Arguments and bindings cannot be read over AMQP: they are the definitions' business."""
    spec = plan(names, delivery_limit=0, retry=retry, expiry=expiry)
    wanted = [("exchange", exchange.name) for exchange in spec.exchanges]
    wanted += [("queue", queue.name) for queue in spec.queues]
    missing = []
    for kind, name in wanted:
        channel = await connection.channel()  # a missing one closes the channel (404)
        try:
            if kind == "exchange":
                await channel.declare_exchange(name, passive=True)
            else:
                await channel.declare_queue(name, passive=True)
        except aiormq.exceptions.ChannelNotFoundEntity:
            missing.append(f"{kind} {name!r}")
        finally:
            await channel.close()
    if missing:
        raise TopologyMissing(
            f"the broker lacks what the service needs in vhost {vhost!r}: {', '.join(missing)}. "
            f'With [broker] topology = "verify" the service only checks; to create them, {CREATE_HOW}.'
        )


async def existing(channel: AbstractChannel, names: Topology) -> Declared:
    """The verified exchanges and queues as objects, looked up passively on ``channel``."""
    return Declared(
        await channel.declare_exchange(names.commands_exchange, passive=True),
        await channel.declare_exchange(names.events_exchange, passive=True),
        await channel.declare_exchange(names.dead_letter_exchange, passive=True),
        await channel.declare_queue(names.commands_queue, passive=True),
        await channel.declare_queue(names.dead_letter_queue, passive=True),
    )


# --- what start-up does -----------------------------------------------------------------------------------------


async def prepare(connection: AbstractConnection, channel: AbstractChannel, settings: Settings) -> Declared:
    """``[broker] topology``: "declare" everything (retry queues included), or "verify" it exists."""
    if settings.broker.topology == "verify":
        vhost = settings.broker.nodes[0].path[1:] or "/"
        await verify(connection, settings.topology, settings.retry, vhost=vhost, expiry=settings.expiry)
        return await existing(channel, settings.topology)
    return await declare(
        channel,
        settings.topology,
        delivery_limit=settings.broker.delivery_limit,
        retry=settings.retry,
        expiry=settings.expiry,
    )


async def commands_queue(channel: AbstractChannel, settings: Settings) -> AbstractQueue:
    """The commands queue on the consuming channel: declared again, or (verify) looked up passively."""
    if settings.broker.topology == "verify":
        return await channel.declare_queue(settings.topology.commands_queue, passive=True)
    return await declare_commands_queue(channel, settings.topology, delivery_limit=settings.broker.delivery_limit)


# --- definitions ------------------------------------------------------------------------------------------------


def exact(name: str) -> str:
    """A regular expression matching exactly ``name`` (RabbitMQ permissions and policy patterns are regexes)."""
    return "^" + re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name) + "$"


def permissions(names: Topology) -> dict[str, str]:
    """What the service's user needs: no configure at all; write to the events and dead-letter exchanges and to
    the default exchange (retries are parked in their queue through it, replies go to ``reply_to`` through it);
    read the commands queue."""
    writes = (names.events_exchange, names.dead_letter_exchange, DEFAULT_EXCHANGE)
    return {
        "configure": "^$",
        "write": "^(" + "|".join(exact(name)[1:-1] for name in writes) + ")$",
        "read": exact(names.commands_queue),
    }


def password_hash(password: str) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password)), 4-byte salt."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode("ascii")


def definitions(settings: Settings, *, user: str, vhost: str, password: str | None = None) -> dict[str, Any]:
    """The RabbitMQ definitions (``rabbitmqctl import_definitions``) of everything the service uses, with
    ``user`` as its least-privilege user. Without ``password`` the user has none (it cannot log in with a password
    until ``rabbitmqctl change_password``); importing again resets it to what the file says."""
    names = settings.topology
    spec = plan(names, delivery_limit=settings.broker.delivery_limit, retry=settings.retry, expiry=settings.expiry)
    policies = [
        {
            "vhost": vhost,
            "name": queue.name,
            "pattern": exact(queue.name),
            "apply-to": "queues",
            "priority": 0,
            "definition": {key.removeprefix("x-"): value for key, value in queue.tunable.items()},
        }
        for queue in spec.queues
        if queue.tunable
    ]
    return {
        "users": [
            {
                "name": user,
                "password_hash": password_hash(password) if password is not None else "",
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
        ],
        "vhosts": [{"name": vhost}],
        "permissions": [{"user": user, "vhost": vhost, **permissions(names)}],
        "policies": policies,
        "exchanges": [
            {
                "name": exchange.name,
                "vhost": vhost,
                "type": exchange.type.value,
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            }
            for exchange in spec.exchanges
        ],
        "queues": [
            {"name": queue.name, "vhost": vhost, "durable": True, "auto_delete": False, "arguments": queue.fixed}
            for queue in spec.queues
        ],
        "bindings": [
            {
                "source": binding.exchange,
                "vhost": vhost,
                "destination": binding.queue,
                "destination_type": "queue",
                "routing_key": binding.routing_key,
                "arguments": {},
            }
            for binding in spec.bindings
        ],
    }
