"""Worldline adapters: endpoints and authentication. The mapping lives in ``transformers`` and ``errors``, the
URL checks in ``urls`` and ``client_api``. Neither provider has a session update."""

from __future__ import annotations

from contracts.events import ApplePaySession, WorldlineSession
from contracts.providers.applepay import CreateApplePaySession, UpdateApplePaySession
from contracts.providers.worldline import CreateWorldlineSession, UpdateWorldlineSession
from service.ports import Clock
from service.providers.base import ProviderError, unsupported
from service.providers.http import HttpReply, ProviderHttp
from service.providers.worldline import APPLE_PAY, WORLDLINE, signing, transformers
from service.providers.worldline.client_api import ClientApiTarget, client_api_target
from service.providers.worldline.server_api import JSON, WorldlineServerApi
from service.providers.worldline.urls import (
    check_validation_url,
    parse_hosts,
    shipped_apple_hosts,
    shipped_client_api_hosts,
)
from service.settings import WorldlineAccount
from service.tenancy import scoped_id


class WorldlineProvider:
    """Client sessions: ``POST /v1/{merchantId}/sessions``."""

    def __init__(self, account: WorldlineAccount, http: ProviderHttp, clock: Clock) -> None:
        self._api = WorldlineServerApi(account, http, clock)
        self._clock = clock

    async def create(self, command: CreateWorldlineSession) -> WorldlineSession:
        body = transformers.create_body(command)
        reply = await self._api.post(
            WORLDLINE, "sessions", body, command_id=scoped_id(command.account, command.command_id)
        )
        if not reply.ok:
            raise transformers.parse_error(reply.status, reply.body, redact=command.options.tokens)
        return transformers.parse_session(reply.status, reply.body, self._clock.now())

    async def update(self, command: UpdateWorldlineSession) -> WorldlineSession:
        raise unsupported(WORLDLINE, "update")


class ApplePayProvider:
    """Apple Pay merchant validation: the client API when the command names a prior Worldline session,
    else the server API. Both URLs the command brings are checked before anything is sent."""

    def __init__(self, account: WorldlineAccount, http: ProviderHttp, clock: Clock) -> None:
        self._api = WorldlineServerApi(account, http, clock)
        self._http = http
        self._clock = clock
        apple, client = account.applepay_domains, account.client_api_hosts
        self._apple_hosts = parse_hosts(apple) if apple is not None else shipped_apple_hosts()
        self._client_api_hosts = parse_hosts(client) if client is not None else shipped_client_api_hosts()

    async def create(self, command: CreateApplePaySession) -> ApplePaySession:
        options = command.options
        validation_url = check_validation_url(options.validation_url, self._apple_hosts)
        target = client_api_target(options, self._api.base_url, self._client_api_hosts)
        body = transformers.applepay_body(options, validation_url)
        key = scoped_id(command.account, command.command_id)
        if target is None:
            resource = f"products/{transformers.APPLE_PAY_PRODUCT}/sessions"
            return self._session(await self._api.post(APPLE_PAY, resource, body, command_id=key))
        try:
            return self._session(await self._client_api_post(target, body, key))
        except ProviderError as exc:
            exc.counts_for_breaker = False  # the command chose this host: its faults are not the account's
            raise

    def _session(self, reply: HttpReply) -> ApplePaySession:
        if not reply.ok:
            raise transformers.parse_error(reply.status, reply.body, provider=APPLE_PAY)
        return transformers.parse_applepay_session(reply.status, reply.body, self._clock.now())

    async def _client_api_post(self, target: ClientApiTarget, body: bytes, command_id: str) -> HttpReply:
        """The client API takes the session's own credential: no HMAC, no Date. The idempotence key is sent
        as on the server API; whether the client API honours it is unconfirmed, and it is harmless."""
        headers = {
            "Content-Type": JSON,
            "Authorization": target.authorization,
            "X-GCS-Idempotence-Key": signing.idempotence_key(command_id),
        }
        return await self._http.send(
            APPLE_PAY,
            "create",
            "POST",
            target.url,
            headers=headers,
            body=body,
            timeout=self._api.timeout,
            secrets=self._api.secrets,
        )

    async def update(self, command: UpdateApplePaySession) -> ApplePaySession:
        raise unsupported(APPLE_PAY, "update")
