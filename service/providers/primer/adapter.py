"""Primer adapter: wires the endpoint and headers; the mapping lives in ``transformers`` and ``errors``."""

from __future__ import annotations

from contracts.events import PrimerSession
from contracts.providers.primer import CreatePrimerSession, UpdatePrimerSession
from service.providers.base import ProviderError, idempotency_key
from service.providers.http import HttpReply, ProviderHttp
from service.providers.primer import PROVIDER, errors, transformers
from service.settings import PrimerAccount
from service.tenancy import scoped_id

PATH = "/client-session"
MAX_KEY_ROTATIONS = 5


class PrimerProvider:
    def __init__(self, account: PrimerAccount, http: ProviderHttp) -> None:
        self._account = account
        self._http = http
        self._url = account.base_url.rstrip("/") + PATH

    def _headers(self) -> dict[str, str]:
        return {
            "X-Api-Key": self._account.api_key.reveal(),
            "X-Api-Version": self._account.api_version,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    async def _send(self, operation: str, method: str, body: bytes, headers: dict[str, str]) -> HttpReply:
        return await self._http.send(
            PROVIDER, operation, method, self._url,
            headers=headers, body=body, timeout=self._account.timeout, secrets=(self._account.api_key.reveal(),),
        )  # fmt: skip

    async def create(self, command: CreatePrimerSession) -> PrimerSession:
        """POST with an idempotency key derived from the command id, the same on every retry.

        A reused key (409 IdempotencyKeyAlreadyExists) means an earlier attempt created a session whose token we
        never learnt (Primer cannot look a session up by key): that session is left to expire (24 h, no money
        moves) and the next derived key creates the one we report. Never a failure of the command.
        """
        body = transformers.create_body(command)
        error: ProviderError | None = None
        for attempt in range(MAX_KEY_ROTATIONS + 1):
            key = idempotency_key(scoped_id(command.account, command.command_id), attempt)
            reply = await self._send("create", "POST", body, {**self._headers(), "X-Idempotency-Key": key})
            if reply.ok:
                return transformers.parse_session(reply.status, reply.body)
            error = errors.parse_error(reply.status, reply.body, api_version=self._account.api_version)
            if error.provider_code not in errors.KEY_EXISTS:
                raise error
        assert error is not None
        raise error

    async def update(self, command: UpdatePrimerSession) -> PrimerSession:
        """PATCH with the token in the body. Primer's reply carries no token: the command's stands."""
        reply = await self._send("update", "PATCH", transformers.update_body(command), self._headers())
        if not reply.ok:
            raise errors.parse_error(
                reply.status, reply.body, operation="update", api_version=self._account.api_version
            )
        return transformers.parse_session(reply.status, reply.body, previous_token=command.session_id)
