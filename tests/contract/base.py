"""The provider contract: the same scenarios, through the real broker and the simulator, for every adapter.

A provider's test module subclasses ``ProviderContract`` and fills in the hooks; pytest collects the
subclass (its name starts with ``Test``). The ``harness`` fixture (tests/conftest.py) runs the service
in-process on uuid-named queues against the real RabbitMQ and an in-process simulator.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from contracts.events import SessionCreated, SessionFailed, SessionUpdated

# Fault names every subclass maps to a command that triggers it at the simulator.
FAULTS = ("400", "403-html", "500", "502-html", "timeout", "garbage", "reset")
# For providers whose calls carry an amount: the simulator's magic amounts (service/simulator/triggers.py).
FAULT_AMOUNTS = {
    "400": 40000,
    "403-html": 40300,
    "500": 50000,
    "502-html": 50200,
    "timeout": 59000,
    "garbage": 59100,
    "reset": 59200,
}


class ProviderContract:
    provider: ClassVar[str]  # the command's ``provider`` tag
    table: ClassVar[str]  # the settings table under [accounts.<name>] ("worldline" for worldline-applepay)

    # --- hooks ------------------------------------------------------------------------------------------

    def account(self, base_url: str) -> dict[str, Any]:
        """The ``[accounts.default.<table>]`` table pointing at the simulator."""
        raise NotImplementedError

    def bad_account(self, base_url: str) -> dict[str, Any]:
        """The same table with a wrong secret, which the simulator must refuse as the real API does."""
        raise NotImplementedError

    def secrets(self) -> list[str]:
        """Secret values of ``account()`` that must never appear in logs or events."""
        raise NotImplementedError

    def create(self, command_id: str, fault: str | None = None) -> dict[str, Any]:
        """A ``session.create`` body; with ``fault`` (one of FAULTS) one that makes the simulator misbehave."""
        raise NotImplementedError

    def update(self, command_id: str, session_id: str) -> dict[str, Any] | None:
        """A ``session.update`` body, or None when the provider has no update (then ``unsupported``)."""
        raise NotImplementedError

    def check_created(self, event: SessionCreated) -> None:
        """Provider-specific assertions on a created event."""

    # --- scenarios ----------------------------------------------------------------------------------------

    async def _start(self, harness: Any, *, bad: bool = False, timeout: float = 10.0) -> Any:
        base_url = harness.simulator_url
        table = self.bad_account(base_url) if bad else self.account(base_url)
        table["timeout"] = timeout
        known = {"default": {self.table: self.account(base_url)}}  # what the simulator accepts
        return await harness.start({"default": {self.table: table}}, simulator_accounts=known)

    async def test_create(self, harness: Any, command_id: str) -> None:
        service = await self._start(harness)
        event = await service.send("session.create", self.create(command_id))
        assert isinstance(event, SessionCreated), event
        assert event.provider == self.provider and event.account == "default"
        assert event.command_id == command_id and event.session.id
        self.check_created(event)

    async def test_update_or_unsupported(self, harness: Any, command_id: str) -> None:
        service = await self._start(harness)
        probe = self.update(command_id + "-u", "any-session")
        if probe is None:
            body = {"provider": self.provider, "command_id": command_id + "-u", "session_id": "s-1"}
            event = await service.send("session.update", body)
            assert isinstance(event, SessionFailed), event
            assert event.error.code == "unsupported" and not event.error.retryable
            assert event.operation == "update"
            return
        created = await service.send("session.create", self.create(command_id))
        assert isinstance(created, SessionCreated), created
        update = self.update(command_id + "-u", created.session.id)
        assert update is not None
        updated = await service.send("session.update", update)
        assert isinstance(updated, SessionUpdated), updated
        assert updated.provider == self.provider and updated.session.id

    async def test_update_unknown_session(self, harness: Any, command_id: str) -> None:
        body = self.update(command_id, "0000000000000000000000000000dead")  # well formed for every provider
        if body is None:
            pytest.skip("no update operation")
        service = await self._start(harness)
        event = await service.send("session.update", body)
        assert isinstance(event, SessionFailed), event
        assert event.error.code in ("not_found", "validation_failed") and not event.error.retryable

    async def test_validation_error(self, harness: Any, command_id: str) -> None:
        service = await self._start(harness)
        event = await service.send("session.create", self.create(command_id, "400"))
        assert isinstance(event, SessionFailed), event
        assert event.error.code == "validation_failed" and not event.error.retryable
        assert event.error.provider_status == 400 and event.operation == "create"

    async def test_authentication_error(self, harness: Any, command_id: str) -> None:
        service = await self._start(harness, bad=True)
        event = await service.send("session.create", self.create(command_id))
        assert isinstance(event, SessionFailed), event
        assert event.error.code == "authentication_failed" and not event.error.retryable

    @pytest.mark.parametrize(("fault", "code", "status"), [("500", "provider_unavailable", 500)])
    async def test_server_error_is_retryable(
        self, harness: Any, command_id: str, fault: str, code: str, status: int
    ) -> None:
        service = await self._start(harness)
        event = await service.send("session.create", self.create(command_id, fault))
        assert isinstance(event, SessionFailed), event
        assert event.error.code == code and event.error.retryable and event.error.provider_status == status

    async def test_timeout(self, harness: Any, command_id: str) -> None:
        service = await self._start(harness, timeout=0.3)
        event = await service.send("session.create", self.create(command_id, "timeout"))
        assert isinstance(event, SessionFailed), event
        assert event.error.code == "timeout" and event.error.retryable

    async def test_non_json_error_bodies(self, harness: Any, command_id: str) -> None:
        service = await self._start(harness)
        gateway = await service.send("session.create", self.create(command_id + "-502", "502-html"))
        assert isinstance(gateway, SessionFailed), gateway
        assert gateway.error.code == "provider_unavailable" and gateway.error.retryable
        assert gateway.error.provider_status == 502
        cdn = await service.send("session.create", self.create(command_id + "-403", "403-html"))
        assert isinstance(cdn, SessionFailed), cdn
        assert cdn.error.code == "authentication_failed" and not cdn.error.retryable

    async def test_malformed_success_and_reset(self, harness: Any, command_id: str) -> None:
        service = await self._start(harness)
        garbage = await service.send("session.create", self.create(command_id + "-g", "garbage"))
        assert isinstance(garbage, SessionFailed), garbage
        assert garbage.error.code == "provider_error" and garbage.error.retryable
        reset = await service.send("session.create", self.create(command_id + "-r", "reset"))
        assert isinstance(reset, SessionFailed), reset
        assert reset.error.code == "provider_unavailable" and reset.error.retryable

    async def test_secrets_absent_from_logs_and_events(self, harness: Any, command_id: str) -> None:
        service = await self._start(harness)
        events = [
            await service.send("session.create", self.create(command_id)),
            await service.send("session.create", self.create(command_id + "-400", "400")),
        ]
        bad = await self._start(harness, bad=True)
        events.append(await bad.send("session.create", self.create(command_id + "-bad")))
        text = harness.log_text() + "".join(repr(e) for e in events)
        assert command_id in harness.log_text()  # the capture works
        for secret in self.secrets():
            assert secret not in text
