"""Acquired adapter: login, headers and the one re-login on 401; the mapping lives in ``transformers``."""

from __future__ import annotations

import re

from contracts.events import AcquiredSession
from contracts.providers.acquired import CreateAcquiredSession, UpdateAcquiredSession
from service.ports import Clock
from service.providers.acquired import PROVIDER, errors, login, transformers
from service.providers.acquired.auth import TokenCache
from service.providers.http import HttpReply, ProviderHttp
from service.providers.paths import segment
from service.settings import AcquiredAccount

LOGIN_PATH = "/v1/login"
SESSIONS_PATH = "/v1/payment-sessions"
_JSON = {"Content-Type": "application/json", "Accept": "application/json"}
SESSION_ID = re.compile(r"[0-9A-Fa-f-]{1,64}")  # Acquired session ids are UUIDs


class AcquiredProvider:
    def __init__(self, account: AcquiredAccount, http: ProviderHttp, clock: Clock) -> None:
        self._account = account
        self._http = http
        self._clock = clock
        base = account.base_url.rstrip("/")
        self._login_url = base + LOGIN_PATH
        self._sessions_url = base + SESSIONS_PATH
        self._tokens = TokenCache(clock, self._login)

    async def _login(self) -> tuple[str, int]:
        app_key = self._account.app_key.reveal()
        reply = await self._http.send(
            PROVIDER,
            "login",
            "POST",
            self._login_url,
            headers=_JSON,
            body=login.login_body(self._account.app_id, app_key),
            timeout=self._account.timeout,
            secrets=(app_key,),
        )
        if not reply.ok:
            raise login.parse_login_error(reply.status, reply.body, secrets=(app_key,))
        return login.parse_login(reply.status, reply.body)

    def _headers(self, token: str) -> dict[str, str]:
        headers = {**_JSON, "Authorization": f"Bearer {token}"}
        if self._account.company_id:
            headers["Company-Id"] = self._account.company_id
        if self._account.mid:
            headers["Mid"] = self._account.mid
        return headers

    async def _call(self, operation: str, method: str, url: str, body: bytes, token: str) -> HttpReply:
        return await self._http.send(
            PROVIDER,
            operation,
            method,
            url,
            headers=self._headers(token),
            body=body,
            timeout=self._account.timeout,
            secrets=(self._account.app_key.reveal(), token),
        )

    async def _send(self, operation: str, method: str, url: str, body: bytes) -> HttpReply:
        """One session call; on 401 (token expired or revoked) one new login and one repeat."""
        token = await self._tokens.get()
        reply = await self._call(operation, method, url, body, token)
        if reply.status == 401:
            self._tokens.discard(token)
            reply = await self._call(operation, method, url, body, await self._tokens.get())
        if not reply.ok:
            raise errors.parse_error(reply.status, reply.body)
        return reply

    async def create(self, command: CreateAcquiredSession) -> AcquiredSession:
        body = transformers.create_body(command)  # refuses a command Acquired cannot take, before any call
        reply = await self._send("create", "POST", self._sessions_url, body)
        return transformers.parse_created(reply.status, reply.body, self._clock.now())

    async def update(self, command: UpdateAcquiredSession) -> AcquiredSession:
        body = transformers.update_body(command)
        session_id = segment(command.session_id, "session_id", SESSION_ID, provider=PROVIDER)
        url = f"{self._sessions_url}/{session_id}"
        reply = await self._send("update", "PUT", url, body)
        return transformers.parse_updated(reply.status, reply.body, command.session_id)
