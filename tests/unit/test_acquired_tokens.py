"""The adapter's token life against a scripted fake of Acquired's HTTP API: cache, refresh, single-flight,
one re-login on 401, and the headers it sends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from contracts.codec import decode_create, decode_update
from contracts.commands import CreateAcquiredSession, UpdateAcquiredSession
from contracts.names import ErrorCode
from service.providers.acquired.adapter import AcquiredProvider
from service.providers.acquired.auth import TokenCache, refresh_time
from service.providers.base import ProviderError
from service.providers.http import HttpReply
from service.secret import Secret
from service.settings import AcquiredAccount
from tests.unit.fakes import MovingClock

APP_KEY = "app-key-9f8e"
COMPANY_ID = "7b3f7c3e-5b1a-4f43-9c5e-2d8a1c0f6b11"
MID = "1c9e6a52-0f3d-4a8e-b7a2-9e4b3c2d1f00"
SESSION_ID = "5d7f3a2e-8c1b-4f6a-9e0d-3b2c1a4f5e6d"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeAcquired:
    """Issues tok-1, tok-2...; session calls succeed with a live token, else 401 (or what ``force`` says)."""

    def __init__(self, expires_in: int = 3600) -> None:
        self.expires_in = expires_in
        self.live: set[str] = set()
        self.calls: list[tuple[str, str, str, dict[str, str]]] = []
        self.login_status = 200
        self.force: list[int] = []  # statuses to answer session calls with, first to last

    async def send(
        self,
        provider: str,
        operation: str,
        method: str,
        url: str,
        *,
        headers: Any,
        body: Any,
        timeout: float,
        secrets: Any = (),
    ) -> HttpReply:
        assert provider == "acquired"
        self.calls.append((operation, method, url, dict(headers)))
        await asyncio.sleep(0)  # let concurrent callers interleave as over a network
        if operation == "login":
            return self._login(body)
        if self.force:
            return reply(self.force.pop(0), {"status": "error", "error_type": "x", "title": "forced"})
        token = headers["Authorization"].removeprefix("Bearer ")
        if token not in self.live:
            return reply(401, {"status": "error", "error_type": "unauthorized", "title": "Authentication failed"})
        return reply(201, {"session_id": SESSION_ID}) if operation == "create" else reply(204, None)

    def _login(self, body: bytes) -> HttpReply:
        if self.login_status != 200 or msgspec.json.decode(body)["app_key"] != APP_KEY:
            return reply(self.login_status if self.login_status != 200 else 401, {"status": "error", "title": "no"})
        token = f"tok-{len(self.live) + 1}"
        self.live.add(token)
        return reply(200, {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": token})

    def operations(self) -> list[str]:
        return [call[0] for call in self.calls]


def reply(status: int, body: Any) -> HttpReply:
    return HttpReply(status, CIMultiDictProxy(CIMultiDict()), b"" if body is None else msgspec.json.encode(body))


def provider(api: FakeAcquired, clock: MovingClock | None = None, **account: Any) -> AcquiredProvider:
    fields: dict[str, Any] = {
        "base_url": "https://test-api.acquired.com",
        "app_id": "app-1",
        "app_key": Secret(APP_KEY),
    }
    return AcquiredProvider(AcquiredAccount(**{**fields, **account}), api, clock or MovingClock(T0))  # type: ignore[arg-type]


def create_command(n: int = 1, **fields: Any) -> CreateAcquiredSession:
    base = {"provider": "acquired", "command_id": f"c-{n}", "order_id": f"order-{n}", "amount": 1502, "currency": "GBP"}
    command = decode_create(msgspec.json.encode({**base, **fields}))
    assert isinstance(command, CreateAcquiredSession)
    return command


def update_command(session_id: str = SESSION_ID) -> UpdateAcquiredSession:
    body = {"provider": "acquired", "command_id": "u-1", "session_id": session_id, "options": {"capture": False}}
    command = decode_update(msgspec.json.encode(body))
    assert isinstance(command, UpdateAcquiredSession)
    return command


async def test_concurrent_commands_share_one_login() -> None:
    api = FakeAcquired()
    adapter = provider(api)
    sessions = await asyncio.gather(*(adapter.create(create_command(n)) for n in range(10)))
    assert {s.id for s in sessions} == {SESSION_ID}
    assert api.operations().count("login") == 1
    await adapter.update(update_command())
    assert api.operations().count("login") == 1


@pytest.mark.parametrize(("expires_in", "margin"), [(3600, 60), (100, 10)])
async def test_token_is_refreshed_shortly_before_it_expires(expires_in: int, margin: int) -> None:
    api, clock = FakeAcquired(expires_in), MovingClock(T0)
    adapter = provider(api, clock)
    await adapter.create(create_command())
    clock.at = T0 + timedelta(seconds=expires_in - margin - 1)
    await adapter.create(create_command(2))
    assert api.operations().count("login") == 1
    clock.at = T0 + timedelta(seconds=expires_in - margin)
    await adapter.create(create_command(3))
    assert api.operations() == ["login", "create", "create", "login", "create"]


async def test_revoked_token_means_one_login_and_one_repeat() -> None:
    api = FakeAcquired()
    adapter = provider(api)
    await adapter.create(create_command())
    api.live.clear()
    session = await adapter.update(update_command())
    assert session.id == SESSION_ID
    assert api.operations() == ["login", "create", "update", "login", "update"]
    assert api.calls[-1][3]["Authorization"] == "Bearer tok-1"  # live was cleared: the new token is tok-1 again
    assert api.calls[2][3]["Authorization"] == "Bearer tok-1"


async def test_a_second_401_is_authentication_failed() -> None:
    api = FakeAcquired()
    api.force = [401, 401]
    with pytest.raises(ProviderError) as caught:
        await provider(api).create(create_command())
    assert caught.value.code is ErrorCode.AUTHENTICATION_FAILED
    assert not caught.value.retryable
    assert api.operations() == ["login", "create", "login", "create"]


@pytest.mark.parametrize("status", [400, 403, 500])
async def test_other_errors_are_not_repeated(status: int) -> None:
    api = FakeAcquired()
    api.force = [status]
    with pytest.raises(ProviderError) as caught:
        await provider(api).create(create_command())
    assert caught.value.provider_status == status
    assert caught.value.retryable is (status >= 500)
    assert api.operations() == ["login", "create"]


async def test_wrong_app_key_fails_authentication_before_any_session_call() -> None:
    api = FakeAcquired()
    with pytest.raises(ProviderError) as caught:
        await provider(api, app_key=Secret("wrong-key")).create(create_command())
    assert caught.value.code is ErrorCode.AUTHENTICATION_FAILED
    assert not caught.value.retryable
    assert "wrong-key" not in str(caught.value)
    assert api.operations() == ["login"]


async def test_login_outage_is_retryable_and_not_cached() -> None:
    api = FakeAcquired()
    api.login_status = 503
    adapter = provider(api)
    with pytest.raises(ProviderError) as caught:
        await adapter.create(create_command())
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert caught.value.retryable
    api.login_status = 200
    assert (await adapter.create(create_command(2))).id == SESSION_ID
    assert api.operations() == ["login", "login", "create"]


async def test_headers_carry_bearer_company_and_mid_when_configured() -> None:
    api = FakeAcquired()
    await provider(api, company_id=COMPANY_ID, mid=MID).create(create_command())
    (_, _, login_url, login_headers), (_, method, url, headers) = api.calls
    assert login_url == "https://test-api.acquired.com/v1/login"
    assert "Authorization" not in login_headers
    assert (method, url) == ("POST", "https://test-api.acquired.com/v1/payment-sessions")
    assert headers["Authorization"] == "Bearer tok-1"
    assert headers["Company-Id"] == COMPANY_ID
    assert headers["Mid"] == MID
    assert headers["Content-Type"] == "application/json"


async def test_optional_headers_are_absent_when_not_configured() -> None:
    api = FakeAcquired()
    await provider(api).create(create_command())
    assert "Company-Id" not in api.calls[1][3]
    assert "Mid" not in api.calls[1][3]


async def test_update_puts_to_the_session_id() -> None:
    api = FakeAcquired()  # ids that are no Acquired id are refused: tests/unit/test_provider_paths.py
    await provider(api).update(update_command(SESSION_ID))
    assert api.calls[-1][1:3] == ("PUT", f"https://test-api.acquired.com/v1/payment-sessions/{SESSION_ID}")


async def test_invalid_command_is_refused_before_any_call() -> None:
    api = FakeAcquired()
    with pytest.raises(ProviderError) as caught:
        await provider(api).create(create_command(currency=None))
    assert caught.value.code is ErrorCode.INVALID_COMMAND
    assert caught.value.field == "currency"
    assert api.calls == []


async def test_discard_keeps_a_newer_token() -> None:
    issued = iter([("tok-a", 3600), ("tok-b", 3600)])

    async def login() -> tuple[str, int]:
        return next(issued)

    cache = TokenCache(MovingClock(T0), login)
    assert await cache.get() == "tok-a"
    cache.discard("tok-a")
    assert await cache.get() == "tok-b"
    cache.discard("tok-a")  # a late 401 for the old token must not throw away the new one
    assert await cache.get() == "tok-b"
    assert "tok-b" not in repr(cache._token)


def test_refresh_time_uses_the_smaller_margin() -> None:
    assert refresh_time(T0, 3600) == T0 + timedelta(seconds=3540)
    assert refresh_time(T0, 300) == T0 + timedelta(seconds=270)
    assert refresh_time(T0, 0) == T0
    assert refresh_time(T0, -5) == T0
