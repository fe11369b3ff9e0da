"""Primer adapter: wires endpoints and headers; the mapping lives in ``transformers``."""

from __future__ import annotations

from contracts.commands import CreatePrimerSession, UpdatePrimerSession
from contracts.events import PrimerSession
from service.providers.base import idempotency_key
from service.providers.http import ProviderHttp
from service.providers.primer import transformers
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

    def _secrets(self) -> tuple[str]:
        return (self._account.api_key.reveal(),)

    async def create(self, command: CreatePrimerSession) -> PrimerSession:
        """POST with an idempotency key derived from the command id, the same on every retry.

        409 IdempotencyKeyAlreadyExists means an earlier attempt created a session whose token we never
        learnt (Primer cannot look a session up by key): that session is left to expire (24 h, no money
        moves) and the next derived key creates the one we report. Never a failure of the command.
        """
        body = transformers.create_body(command)
        for attempt in range(MAX_KEY_ROTATIONS + 1):
            key = idempotency_key(scoped_id(command.account, command.command_id), attempt)
            headers = {**self._headers(), "X-Idempotency-Key": key}
            reply = await self._http.send(
                transformers.PROVIDER, "create", "POST", self._url,
                headers=headers, body=body, timeout=self._account.timeout, secrets=self._secrets(),
            )  # fmt: skip
            if reply.ok:
                return transformers.parse_session(reply.status, reply.body)
            error = transformers.parse_error(reply.status, reply.body)
            if error.provider_code != transformers.KEY_EXISTS:
                raise error
        raise error

    async def update(self, command: UpdatePrimerSession) -> PrimerSession:
        reply = await self._http.send(
            transformers.PROVIDER,
            "update",
            "PATCH",
            self._url,
            headers=self._headers(),
            body=transformers.update_body(command),
            timeout=self._account.timeout,
            secrets=self._secrets(),
        )
        if not reply.ok:
            raise transformers.parse_error(reply.status, reply.body)
        return transformers.parse_session(reply.status, reply.body, previous_token=command.session_id)
