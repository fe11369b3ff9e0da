"""Several merchant accounts per provider, chosen by the command's ``account``."""

from __future__ import annotations

import aio_pika
import aiormq
import pytest
from yarl import URL

from contracts.events import SessionCreated, SessionFailed
from tests.harness import Harness


async def test_command_account_selects_the_credentials(harness: Harness, command_id: str) -> None:
    url = harness.simulator_url
    known = {
        "eu": {"primer": {"base_url": url, "api_key": "key-eu"}},
        "us": {"primer": {"base_url": url, "api_key": "key-us"}},
    }
    configured = {**known, "stale": {"primer": {"base_url": url, "api_key": "key-revoked"}}}
    service = await harness.start(configured, simulator_accounts=known)
    body = {"provider": "primer", "amount": 100, "currency": "EUR"}
    eu = await service.send("session.create", {**body, "command_id": command_id + "-eu", "account": "eu"})
    us = await service.send("session.create", {**body, "command_id": command_id + "-us", "account": "us"})
    stale = await service.send("session.create", {**body, "command_id": command_id + "-st", "account": "stale"})
    assert isinstance(eu, SessionCreated) and eu.account == "eu"
    assert isinstance(us, SessionCreated) and us.account == "us"
    assert isinstance(stale, SessionFailed) and stale.error.code == "authentication_failed"
    assert stale.account == "stale"


async def test_an_account_limited_to_publishers_takes_commands_only_from_them(harness: Harness, amqp_url: str) -> None:
    """S10 on the real broker: RabbitMQ checks the user_id property against the publishing connection's user,
    so an account's ``publishers`` list decides who may spend its credentials."""
    url = harness.simulator_url
    primer = {"base_url": url, "api_key": "key-tenancy"}
    accounts = {"shop": {"publishers": [URL(amqp_url).user], "primer": primer},
                "partner": {"publishers": ["partner-orders"], "primer": primer}}  # fmt: skip
    service = await harness.start(accounts)
    command = {"provider": "primer", "amount": 100, "currency": "EUR"}
    user = URL(amqp_url).user
    own = await service.send("session.create", {**command, "command_id": "t-1", "account": "shop"}, user_id=user)
    anonymous = await service.send("session.create", {**command, "command_id": "t-2", "account": "shop"})
    other = await service.send("session.create", {**command, "command_id": "t-3", "account": "partner"}, user_id=user)
    assert isinstance(own, SessionCreated)
    for refused in (anonymous, other):
        assert isinstance(refused, SessionFailed) and refused.error.code == "forbidden"
        assert refused.error.field == "account" and refused.attempts == 0
    assert len(harness.simulator.calls) == 1  # the refused ones spent nothing
    async with await aio_pika.connect(amqp_url) as connection:  # nobody can claim to be someone else
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(service.topology.commands_exchange)
        forged = aio_pika.Message(b"{}", user_id="partner-orders")
        with pytest.raises(aiormq.exceptions.ChannelPreconditionFailed, match="user_id"):
            await exchange.publish(forged, "session.create")


async def test_the_same_command_id_in_two_accounts_is_two_commands(harness: Harness, command_id: str) -> None:
    """Ids are scoped per account: both are created, with their own event ids and provider idempotency keys
    (two accounts may share one Primer merchant, which would answer the second with the first's session)."""
    primer = {"base_url": harness.simulator_url, "api_key": "key-shared"}
    service = await harness.start({"default": {"primer": primer}, "shop": {"primer": primer}})
    body = {"command_id": command_id, "provider": "primer", "amount": 100, "currency": "EUR"}
    await service.send("session.create", body)
    await service.publish("session.create", {**body, "account": "shop"})
    first, second = await harness.tap_for(service.topology).wait_for(command_id, 2)  # one command_id, two events
    assert {first.account, second.account} == {"default", "shop"}
    assert isinstance(first, SessionCreated) and isinstance(second, SessionCreated)
    assert first.event_id != second.event_id and first.session.id != second.session.id
    keys = [call.idempotency_key for call in harness.simulator.calls]
    assert len(keys) == 2 and len(set(keys)) == 2
