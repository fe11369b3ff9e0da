"""Worldline's Apple Pay merchant sessions (payment product 302), registered by ``worldline.register``.

Server API: ``POST /v1/{merchantId}/products/{productId}/sessions``, signed with v1HMAC.
Client API: ``POST /client/v1/{customerId}/products/{productId}/sessions`` (the reference's path) with
``Authorization: GCS v1Client:{clientSessionId}`` of a live client session of that customer (401 for an
unknown session, 403 for another customer's). Only product 302 creates sessions: others get 404 code 1426.
The body is ``paymentProductSession302SpecificInput`` with ``domainName`` and ``validationUrl``; ``displayName``
is optional, as in the reference; any other field is refused (400 naming it). The validation URL must be https
on an ``apple.com`` host (400 otherwise). The reply (200) is ``paymentProductSession302SpecificOutput`` with
``sessionObject``, a JSON string shaped like Apple's merchant session, with a fake signature.

Faults: ``displayName`` equal to a ``triggers.FAULTS_BY_WORD`` word, or ``sim-1409`` (first call in progress).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import urlsplit

import msgspec
from aiohttp import web
from msgspec import Struct

from service.providers.worldline import APPLE_PAY as PROVIDER
from service.simulator.triggers import FAULTS_BY_WORD
from service.simulator.worldline_common import (
    IDEMPOTENCE_HEADER,
    IN_PROGRESS_WORD,
    STATE_KEY,
    authenticate_client,
    error,
    read_body,
    serve,
    signed_body,
)

APPLE_PAY = "302"
_INPUT = "paymentProductSession302SpecificInput"


class _Input(Struct, forbid_unknown_fields=True):
    domainName: str  # noqa: N815 - Worldline's spelling
    validationUrl: str  # noqa: N815
    displayName: str | None = None  # noqa: N815


class _Body(Struct, forbid_unknown_fields=True):
    paymentProductSession302SpecificInput: _Input  # noqa: N815


def _merchant_session(specific: _Input) -> str:
    now_ms = int(time.time() * 1000)
    session = {
        "epochTimestamp": now_ms,
        "expiresAt": now_ms + 60 * 60 * 1000,
        "merchantSessionIdentifier": "SSH" + secrets.token_hex(16).upper(),
        "nonce": secrets.token_hex(4),
        "merchantIdentifier": hashlib.sha256(specific.domainName.encode()).hexdigest().upper(),
        "domainName": specific.domainName,
        "displayName": specific.displayName or specific.domainName,
        "signature": base64.b64encode(secrets.token_bytes(96)).decode("ascii"),
    }
    return msgspec.json.encode(session).decode("utf-8")


def _session_reply(specific: _Input) -> web.Response:
    url = urlsplit(specific.validationUrl)
    host = url.hostname or ""
    if url.scheme != "https" or url.port not in (None, 443) or not host.endswith(".apple.com"):
        return error(400, "21000120", "INVALID_VALUE", "validationUrl is not an Apple host", f"{_INPUT}.validationUrl")
    output = {"sessionObject": _merchant_session(specific)}
    return web.json_response({"paymentProductSession302SpecificOutput": output}, status=200)


async def _answer(request: web.Request, body: _Body | web.Response, scope: str) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    if not isinstance(body, web.Response) and request.match_info["productId"] != APPLE_PAY:
        body = error(404, "1426", "CREATE_SESSION_NOT_AVAILABLE_FOR_PRODUCT", "This product has no sessions")
    if isinstance(body, web.Response):
        state.record(PROVIDER, "create", body.status, request.headers.get(IDEMPOTENCE_HEADER))
        return body
    specific = body.paymentProductSession302SpecificInput
    word = specific.displayName or ""
    return await serve(
        state,
        request,
        lambda: _session_reply(specific),
        provider=PROVIDER,
        scope=scope,
        word=word if word in FAULTS_BY_WORD or word == IN_PROGRESS_WORD else None,
        fault_property=f"{_INPUT}.displayName",
    )


async def server_session(request: web.Request) -> web.StreamResponse:
    merchant_id = request.match_info["merchantId"]
    body = await signed_body(request.app[STATE_KEY], request, merchant_id, _Body)
    return await _answer(request, body, f"{merchant_id}:{APPLE_PAY}")


async def client_session(request: web.Request) -> web.StreamResponse:
    customer_id = request.match_info["customerId"]
    refusal = authenticate_client(request.app[STATE_KEY], request, customer_id)
    body = refusal if refusal is not None else await read_body(request, _Body)
    return await _answer(request, body, f"client:{customer_id}:{APPLE_PAY}")


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/{merchantId}/products/{productId}/sessions", server_session)
    app.router.add_post("/client/v1/{customerId}/products/{productId}/sessions", client_session)
