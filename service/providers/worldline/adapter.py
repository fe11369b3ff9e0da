"""Worldline adapters: wire endpoints and authentication; the mapping lives in ``transformers`` and
``applepay``, the URL checks in ``urls``. Neither provider has a session update."""

from __future__ import annotations

from contracts.commands import (
    CreateApplePaySession,
    CreateWorldlineSession,
    UpdateApplePaySession,
    UpdateWorldlineSession,
)
from contracts.events import ApplePaySession, WorldlineSession
from service.ports import Clock
from service.providers.base import ProviderError, unsupported
from service.providers.http import HttpReply, ProviderHttp
from service.providers.worldline import applepay, signing, transformers
from service.providers.worldline.server_api import JSON, WorldlineServerApi
from service.providers.worldline.urls import check_validation_url, parse_hosts, shipped_apple_hosts
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
            transformers.PROVIDER, "sessions", body, command_id=scoped_id(command.account, command.command_id)
        )
        if not reply.ok:
            raise transformers.parse_error(reply.status, reply.body, redact=command.options.tokens)
        return transformers.parse_session(reply.status, reply.body, self._clock.now())

    async def update(self, command: UpdateWorldlineSession) -> WorldlineSession:
        raise unsupported(transformers.PROVIDER, "update")


class ApplePayProvider:
    """Apple Pay merchant validation: the client API when the command names a prior Worldline session,
    else the server API. The validation URL is checked against Apple's hosts before anything is sent."""

    def __init__(self, account: WorldlineAccount, http: ProviderHttp, clock: Clock) -> None:
        self._api = WorldlineServerApi(account, http, clock)
        self._http = http
        self._clock = clock
        overrides = account.applepay_domains
        self._apple_hosts = parse_hosts(overrides) if overrides is not None else shipped_apple_hosts()

    async def create(self, command: CreateApplePaySession) -> ApplePaySession:
        options = command.options
        validation_url = check_validation_url(options.validation_url, self._apple_hosts)
        target = applepay.client_api_target(options, self._api.base_url)
        body = applepay.create_body(options, validation_url)
        if target is None:
            resource = f"products/{applepay.APPLE_PAY_PRODUCT}/sessions"
            reply = await self._api.post(
                applepay.PROVIDER, resource, body, command_id=scoped_id(command.account, command.command_id)
            )
            return self._session(reply)
        try:
            return self._session(
                await self._client_api_post(target, body, scoped_id(command.account, command.command_id))
            )
        except ProviderError as exc:
            exc.counts_for_breaker = False  # the command chose this host: its faults are not the account's
            raise

    def _session(self, reply: HttpReply) -> ApplePaySession:
        if not reply.ok:
            raise transformers.parse_error(reply.status, reply.body, provider=applepay.PROVIDER)
        return applepay.parse_session(reply.status, reply.body, self._clock.now())

    async def _client_api_post(self, target: applepay.ClientApiTarget, body: bytes, command_id: str) -> HttpReply:
        """The client API takes the session's own credential: no HMAC, no Date. The idempotence key is sent
        as on the server API; whether the client API honours it is unconfirmed, and it is harmless."""
        headers = {
            "Content-Type": JSON,
            "Authorization": target.authorization,
            "X-GCS-Idempotence-Key": signing.idempotence_key(command_id),
        }
        return await self._http.send(
            applepay.PROVIDER,
            "create",
            "POST",
            target.url,
            headers=headers,
            body=body,
            timeout=self._api.timeout,
            secrets=self._api.secrets,
        )

    async def update(self, command: UpdateApplePaySession) -> ApplePaySession:
        raise unsupported(applepay.PROVIDER, "update")
