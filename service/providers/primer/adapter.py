"""Primer adapter: wires endpoints and headers; the mapping lives in ``transformers``."""

from __future__ import annotations

from contracts.commands import CreatePrimerSession, UpdatePrimerSession
from contracts.events import PrimerSession
from service.providers.http import ProviderHttp
from service.providers.primer import transformers
from service.settings import PrimerAccount

PATH = "/client-session"


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

    async def create(self, command: CreatePrimerSession) -> PrimerSession:
        reply = await self._http.send(
            transformers.PROVIDER,
            "create",
            "POST",
            self._url,
            headers=self._headers(),
            body=transformers.create_body(command),
            timeout=self._account.timeout,
        )
        if not reply.ok:
            raise transformers.parse_error(reply.status, reply.body)
        return transformers.parse_session(reply.status, reply.body)

    async def update(self, command: UpdatePrimerSession) -> PrimerSession:
        reply = await self._http.send(
            transformers.PROVIDER,
            "update",
            "PATCH",
            self._url,
            headers=self._headers(),
            body=transformers.update_body(command),
            timeout=self._account.timeout,
        )
        if not reply.ok:
            raise transformers.parse_error(reply.status, reply.body)
        return transformers.parse_session(reply.status, reply.body, previous_token=command.session_id)
