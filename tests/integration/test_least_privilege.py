"""The service as the least-privilege user of deploy/rabbitmq/definitions.json, on the real broker.

Each test works in a vhost of its own (``lp-<uuid>``) with users of its own, all removed afterwards. The user's
permissions are read from the shipped file (names substituted), so the tests prove the regexes we ship.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aio_pika
import aiormq
import msgspec
import pytest
from yarl import URL

from contracts.events import SessionCreated
from contracts.names import Topology
from service.bootstrap import running_service
from service.messaging.topology import (
    TopologyError,
    TopologyMissing,
    declare,
    definitions,
    exact,
    permissions,
    plan,
    retry_delays,
)
from service.settings import Settings
from tests.harness import Harness, unique_topology

DEFINITIONS = Path(__file__).parents[2] / "deploy" / "rabbitmq" / "definitions.json"
SHIPPED_USER = "payment-sessions"
PRIMER_KEY = "sim-primer-key-least-privilege"


def _ctl(*args: str, check: bool = True) -> str:
    done = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=120, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {args[0]} exited {done.returncode}: {(done.stdout + done.stderr)[-400:]}")
    return done.stdout


class Broker:
    """A vhost of our own on the local broker, with ``guest`` as its administrator; users made here are dropped."""

    def __init__(self, amqp_url: str) -> None:
        self.vhost = f"lp-{uuid.uuid4().hex[:12]}"
        self.base = URL(amqp_url)
        self.users: list[str] = []

    def url(self, user: str | None = None, password: str | None = None) -> str:
        url = self.base.with_path("/" + self.vhost)
        return str(url.with_user(user).with_password(password) if user else url)

    def add_user(self, perms: dict[str, str]) -> tuple[str, str]:
        user, password = f"payment-sessions-{uuid.uuid4().hex[:8]}", secrets.token_hex(16)
        _ctl("add_user", user, password)
        self.users.append(user)
        _ctl("set_permissions", "-p", self.vhost, user, perms["configure"], perms["write"], perms["read"])
        return user, password


@pytest.fixture
def broker(amqp_url: str) -> Iterator[Broker]:
    reason = ""
    if shutil.which("rabbitmqctl") is None:
        reason = "rabbitmqctl is not installed"
    elif URL(amqp_url).host not in ("127.0.0.1", "localhost"):
        reason = "these tests drive the local broker with rabbitmqctl"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    made = Broker(amqp_url)
    _ctl("add_vhost", made.vhost)
    try:
        _ctl("set_permissions", "-p", made.vhost, made.base.user or "guest", ".*", ".*", ".*")
        yield made
    finally:
        _ctl("delete_vhost", made.vhost, check=False)
        for user in made.users:
            _ctl("delete_user", user, check=False)


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


def _create(command_id: str) -> dict[str, Any]:
    return {"command_id": command_id, "provider": "primer", "amount": 1250, "currency": "EUR"}


def shipped_permissions(names: Topology) -> dict[str, str]:
    """The service user's permissions from deploy/rabbitmq/definitions.json, default names replaced by ``names``."""
    shipped = json.loads(DEFINITIONS.read_text())
    (entry,) = [p for p in shipped["permissions"] if p["user"] == SHIPPED_USER]
    default = Topology()
    swaps = {exact(getattr(default, field))[1:-1]: exact(getattr(names, field))[1:-1] for field in _FIELDS}
    result = {}
    for kind in ("configure", "write", "read"):
        regex = entry[kind]
        for old, new in sorted(swaps.items(), key=lambda item: -len(item[0])):
            regex = regex.replace(old, new)
        result[kind] = regex
    return result


_FIELDS = ("commands_exchange", "commands_queue", "events_exchange", "dead_letter_exchange", "dead_letter_queue")


def test_shipped_definitions_are_the_services_plan() -> None:
    """deploy/rabbitmq/definitions.json is what deploy/rabbitmq/generate.py makes of the default settings."""
    shipped = json.loads(DEFINITIONS.read_text())
    assert shipped == definitions(Settings(), user=SHIPPED_USER, vhost="/")
    assert shipped["users"][0]["password_hash"] == ""  # no password in the repository
    assert shipped["permissions"][0]["configure"] == "^$"


async def _declare_as_admin(url: str, settings: Settings) -> None:
    """What `payment-sessions topology` does, as the vhost's administrator."""
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        await declare(channel, settings.topology, delivery_limit=settings.broker.delivery_limit, retry=settings.retry,
                      expiry=settings.expiry)  # fmt: skip


async def _refused(connection: aio_pika.abc.AbstractConnection, action: Any) -> str:
    channel = await connection.channel(publisher_confirms=True)
    with pytest.raises(aiormq.exceptions.ChannelAccessRefused) as refused:
        await action(channel)
    return str(refused.value)


async def test_service_runs_as_the_least_privilege_user(broker: Broker, command_id: str) -> None:
    names = unique_topology()
    perms = shipped_permissions(names)
    assert perms == permissions(names)  # the substitution is faithful: the shipped regexes, our names
    user, password = broker.add_user(perms)
    async with Harness(broker.url()) as harness:
        settings = harness.settings(_accounts(harness), topology=msgspec.to_builtins(names))
        await _declare_as_admin(broker.url(), settings)
        service = await harness.start(
            _accounts(harness),
            topology=msgspec.to_builtins(names),
            broker={"url": broker.url(user, password), "topology": "verify"},
        )
        event = await service.send("session.create", _create(command_id))
        assert isinstance(event, SessionCreated) and event.command_id == command_id

        async with await aio_pika.connect(broker.url(user, password)) as connection:

            def publish(exchange: str, routing_key: str) -> Any:
                async def action(channel: aio_pika.abc.AbstractChannel) -> None:
                    target = await channel.get_exchange(exchange, ensure=False)
                    await target.publish(aio_pika.Message(b"{}"), routing_key)

                return action

            # configure: nothing
            await _refused(connection, lambda ch: ch.declare_queue(f"{names.commands_queue}.mine", durable=True))
            await _refused(connection, lambda ch: ch.queue_delete(names.commands_queue))
            await _refused(connection, lambda ch: ch.queue_delete(names.dead_letter_queue))
            await _refused(connection, lambda ch: ch.exchange_delete(names.events_exchange))
            await _refused(connection, lambda ch: ch.declare_exchange(names.events_exchange, "topic", durable=True))
            # write: not the commands exchange (it must not forge commands through it)
            text = await _refused(connection, publish(names.commands_exchange, "session.create"))
            assert names.commands_exchange in text

            # read: not the dead-letter queue (operators' tools read it with their own user)
            async def get_dead_letter(channel: aio_pika.abc.AbstractChannel) -> None:
                queue = await channel.get_queue(names.dead_letter_queue, ensure=False)
                await queue.get(fail=False)

            await _refused(connection, get_dead_letter)


async def test_declare_mode_with_the_least_privilege_user_says_to_verify(broker: Broker) -> None:
    names = unique_topology()
    user, password = broker.add_user(shipped_permissions(names))
    async with Harness(broker.url()) as harness:
        settings = harness.settings(
            _accounts(harness), topology=msgspec.to_builtins(names), broker={"url": broker.url(user, password)}
        )
        with pytest.raises(TopologyError) as failed:
            async with running_service(settings):
                pass
    message = str(failed.value)
    assert "no configure permission" in message and 'topology = "verify"' in message
    assert "payment-sessions topology" in message and password not in message


async def test_verify_names_everything_missing_at_once(broker: Broker) -> None:
    async with Harness(broker.url()) as harness:
        settings = harness.settings(_accounts(harness), broker={"topology": "verify"})
        names = settings.topology
        async with await aio_pika.connect(broker.url()) as connection:  # only the exchanges exist
            channel = await connection.channel()
            for exchange in plan(names, delivery_limit=1).exchanges:
                await channel.declare_exchange(exchange.name, "topic", durable=True)
        with pytest.raises(TopologyMissing) as failed:
            async with running_service(settings):
                pass
    message = str(failed.value)
    expected = [
        queue.name for queue in plan(names, delivery_limit=1, retry=settings.retry, expiry=settings.expiry).queues
    ]
    # a create/update pair per distinct delay, and an expiry tier queue each
    assert len(expected) == 2 + 2 * len(retry_delays(settings.retry)) + len(settings.expiry.tiers)
    for queue in expected:
        assert f"queue {queue!r}" in message
    assert "exchange" not in message.split(":")[1]  # every exchange was found
    assert broker.vhost in message and "run `payment-sessions topology`" in message
    assert "rabbitmqctl import_definitions" in message


def _import(document: dict[str, Any]) -> None:
    """``rabbitmqctl import_definitions <file>`` as an operator runs it. rabbitmqctl runs as the broker's user (and
    3.10 does not read "-"), so the file is world-readable for the moment: it holds only this test's names."""
    descriptor, path = tempfile.mkstemp(prefix="payment-sessions-definitions-", suffix=".json")
    try:
        with os.fdopen(descriptor, "w") as file:
            json.dump(document, file)
        os.chmod(path, 0o644)
        _ctl("import_definitions", path)
    finally:
        os.unlink(path)


async def test_imported_definitions_run_the_service(broker: Broker, command_id: str) -> None:
    """deploy/rabbitmq/generate.py's output for other names, imported as an operator would: policies and all."""
    async with Harness(broker.url()) as harness:
        settings = harness.settings(_accounts(harness))
        names = settings.topology
        user, password = f"payment-sessions-{uuid.uuid4().hex[:8]}", secrets.token_hex(16)
        broker.users.append(user)
        document = definitions(settings, user=user, vhost=broker.vhost, password=password)
        _import(document)
        service_settings = {"url": broker.url(user, password), "topology": "verify"}
        service = await _start_when_imported(harness, settings, service_settings)
        event = await service.send("session.create", _create(command_id))
        assert isinstance(event, SessionCreated)
        # listed before the harness removes the queues
        listed = _ctl("-q", "list_queues", "--no-table-headers", "-p", broker.vhost, "name", "policy", "arguments")
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in listed.splitlines() if "\t" in line}
    assert rows[names.commands_queue][0] == names.commands_queue  # the delivery-limit policy applies
    assert "x-delivery-limit" not in rows[names.commands_queue][1]  # and no queue argument pins it
    assert rows[names.dead_letter_queue][0] == names.dead_letter_queue


async def _start_when_imported(harness: Harness, settings: Settings, broker_settings: dict[str, str]) -> Any:
    """``import_definitions`` returns before the import is done: start once the topology is all there."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        try:
            return await harness.start(
                _accounts(harness), topology=msgspec.to_builtins(settings.topology), broker=broker_settings
            )
        except (TopologyMissing, ConnectionError, aiormq.exceptions.AMQPConnectionError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
