"""Several merchant accounts per provider, chosen by the command's ``account``."""

from __future__ import annotations

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
