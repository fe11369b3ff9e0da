"""MPGS adapter: wires endpoints and HTTP Basic auth; the mapping lives in ``transformers``.

``create`` is one or two calls. ``POST …/session`` makes an empty session; when the command carries an order id,
an amount, order options or customer details, a ``PUT …/session/{id}`` follows at once in the same operation, so
the session holds the order before a payer sees it. The ``session.created`` event then reflects the final
``version`` and ``updateStatus``. Both bodies are built (and the command refused if MPGS cannot take it) before
the ``POST``. When the ``PUT`` fails the command fails with its error: the session left behind is unused and
expires by itself (MPGS has no idempotency key, so a retry makes a fresh one).
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

from contracts.events import MpgsSession
from contracts.providers.mpgs import CreateMpgsSession, UpdateMpgsSession
from service.ports import Clock
from service.providers.base import malformed_reply
from service.providers.http import HttpReply, ProviderHttp
from service.providers.mpgs import PROVIDER, transformers
from service.providers.paths import segment
from service.settings import MpgsAccount

SESSION_ID = re.compile(r"[A-Za-z0-9]{1,64}")  # MPGS session ids: SESSION0002... (letters and digits)


class MpgsProvider:
    def __init__(self, account: MpgsAccount, http: ProviderHttp, clock: Clock) -> None:
        self._account = account
        self._http = http
        self._clock = clock
        merchant = quote(account.merchant_id, safe="")  # one path segment: checked by the settings
        self._url = f"{account.base_url.rstrip('/')}/api/rest/version/{account.api_version}/merchant/{merchant}/session"

    def _headers(self, *, body: bool) -> dict[str, str]:
        credentials = f"merchant.{self._account.merchant_id}:{self._account.api_password.reveal()}"
        headers = {
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode("ascii"),
            "Accept": "application/json",
        }
        if body:
            headers["Content-Type"] = "application/json"
        return headers

    def _session_url(self, session_id: str) -> str:
        """``…/session/{id}`` for a command's session id; refused before any request unless an MPGS id."""
        return f"{self._url}/{segment(session_id, 'session_id', SESSION_ID, provider=PROVIDER)}"

    def _created_url(self, reply: HttpReply, session_id: str) -> str:
        """``…/session/{id}`` for the id MPGS just gave: one that is no MPGS id is a malformed reply."""
        if not SESSION_ID.fullmatch(session_id):
            raise malformed_reply(PROVIDER, reply.status, "a session.id that is not an MPGS id")
        return f"{self._url}/{session_id}"

    async def _send(self, operation: str, method: str, url: str, body: bytes) -> HttpReply:
        reply = await self._http.send(
            PROVIDER,
            operation,
            method,
            url,
            headers=self._headers(body=True),
            body=body,
            timeout=self._account.timeout,
            secrets=(self._account.api_password.reveal(),),
        )
        if not reply.ok:
            raise transformers.parse_error(reply.status, reply.body)
        return reply

    def _session(self, reply: HttpReply) -> MpgsSession:
        return transformers.parse_session(
            reply.status, reply.body, now=self._clock.now(), include_aes256_key=self._account.include_aes256_key
        )

    async def create(self, command: CreateMpgsSession) -> MpgsSession:
        create_body = transformers.create_body(command)
        order_body = transformers.create_order_body(command)  # refuses what MPGS cannot take, before any call
        created_reply = await self._send("create", "POST", self._url, create_body)
        created = self._session(created_reply)
        if order_body is None:
            return created
        reply = await self._send("update", "PUT", self._created_url(created_reply, created.id), order_body)
        return transformers.merge_created(created, self._session(reply))

    async def update(self, command: UpdateMpgsSession) -> MpgsSession:
        body = transformers.update_body(command)
        reply = await self._send("update", "PUT", self._session_url(command.session_id), body)
        return transformers.merge_updated(command, self._session(reply))
