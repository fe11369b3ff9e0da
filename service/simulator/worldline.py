"""Worldline Connect's client sessions (``POST /v1/{merchantId}/sessions``) and, through
``worldline_applepay``, its Apple Pay merchant sessions on the server and client APIs.

Strict like the real API: v1HMAC with the secret of the ``apiKeyId`` found in the configured
``[accounts.*.worldline]`` tables (unknown key or bad signature: 401; another merchant's id: 403), a Date
within 15 minutes, unknown body fields and wrong types refused with 400 naming ``propertyName``.
``X-GCS-Idempotence-Key``: a repeat of a finished request gets the first response plus
``X-GCS-Idempotence-Request-Timestamp``.

Faults (client sessions): a token equal to a ``triggers.FAULTS_BY_WORD`` word (``sim-400``, ``sim-403``
(HTML), ``sim-500``, ``sim-502`` (HTML), ``sim-timeout``, ``sim-garbage``, ``sim-reset``...). ``sim-1409``
answers the first call with an idempotence key 409 code 1409 (in progress); its retry goes through.
Tokens starting with ``expired-`` are reported in ``invalidTokens``. Apple Pay: see ``worldline_applepay``.
"""

from __future__ import annotations

import secrets
import time

from aiohttp import web
from msgspec import Struct

from service.providers.worldline import WORLDLINE as PROVIDER
from service.simulator import worldline_applepay
from service.simulator.state import SimulatorState
from service.simulator.triggers import FAULTS_BY_WORD
from service.simulator.worldline_common import IDEMPOTENCE_HEADER, IN_PROGRESS_WORD, STATE_KEY, serve, signed_body

SESSION_SECONDS = 2 * 60 * 60


class _Filter(Struct, forbid_unknown_fields=True):
    groups: list[str] | None = None
    products: list[int] | None = None


class _Filters(Struct, forbid_unknown_fields=True):
    restrictTo: _Filter | None = None  # noqa: N815 - Worldline's spelling
    exclude: _Filter | None = None


class _SessionBody(Struct, forbid_unknown_fields=True):
    paymentProductFilters: _Filters | None = None  # noqa: N815
    tokens: list[str] | None = None


def _trigger(tokens: list[str]) -> str | None:
    return next((t for t in tokens if t in FAULTS_BY_WORD or t == IN_PROGRESS_WORD), None)


def _new_session(state: SimulatorState, request: web.Request, merchant_id: str, tokens: list[str]) -> web.Response:
    base_url = f"{request.scheme}://{request.host}"
    session_id = secrets.token_hex(16)
    customer_id = f"{merchant_id}-{secrets.token_hex(16)}"
    state.sessions[f"{PROVIDER}:{session_id}"] = {
        "clientSessionId": session_id,
        "customerId": customer_id,
        "merchantId": merchant_id,
        "expiresAt": time.time() + SESSION_SECONDS,
    }
    reply = {
        "assetUrl": f"{base_url}/assets/",
        "clientApiUrl": f"{base_url}/client",
        "clientSessionId": session_id,
        "customerId": customer_id,
        "invalidTokens": [token for token in tokens if token.startswith("expired-")],
        "region": "EU",
    }
    return web.json_response(reply, status=201)


async def create_session(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    merchant_id = request.match_info["merchantId"]
    body = await signed_body(state, request, merchant_id, _SessionBody)
    if isinstance(body, web.Response):
        state.record(PROVIDER, "create", body.status, request.headers.get(IDEMPOTENCE_HEADER))
        return body
    tokens = body.tokens or []
    return await serve(
        state,
        request,
        lambda: _new_session(state, request, merchant_id, tokens),
        provider=PROVIDER,
        scope=f"{merchant_id}:sessions",
        word=_trigger(tokens),
        fault_property="tokens",
    )


def register(app: web.Application, state: SimulatorState) -> None:
    app[STATE_KEY] = state
    app.router.add_post("/v1/{merchantId}/sessions", create_session)
    worldline_applepay.add_routes(app)
