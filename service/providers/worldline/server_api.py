"""Signed calls to Worldline Connect's server API for one merchant account."""

from __future__ import annotations

from urllib.parse import quote

from yarl import URL

from service.ports import Clock
from service.providers.http import HttpReply, ProviderHttp
from service.providers.worldline import signing
from service.settings import WorldlineAccount

JSON = "application/json"


class WorldlineServerApi:
    def __init__(self, account: WorldlineAccount, http: ProviderHttp, clock: Clock) -> None:
        self._account = account
        self._http = http
        self._clock = clock
        self._base_url = account.base_url.rstrip("/")
        self._merchant = quote(account.merchant_id, safe="")  # one path segment: checked by the settings
        self._meta_info = signing.server_meta_info(account.integrator)

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def timeout(self) -> float:
        return self._account.timeout

    @property
    def secrets(self) -> tuple[str]:
        """The account's configured secrets, for redaction from error bodies."""
        return (self._account.secret_api_key.reveal(),)

    def _headers(self, target: str, command_id: str) -> dict[str, str]:
        headers = {
            "Content-Type": JSON,
            "Date": signing.http_date(self._clock.now()),
            "X-GCS-ServerMetaInfo": self._meta_info,
            "X-GCS-Idempotence-Key": signing.idempotence_key(command_id),
        }
        headers["Authorization"] = signing.authorization(
            self._account.api_key_id, self._account.secret_api_key.reveal(), "POST", target, headers
        )
        return headers

    async def post(self, provider: str, resource: str, body: bytes, *, command_id: str) -> HttpReply:
        """``POST {base_url}/v1/{merchantId}/{resource}``, signed over exactly the headers sent."""
        url = f"{self._base_url}/v1/{self._merchant}/{resource}"
        target = URL(url).raw_path_qs  # the request target as aiohttp will put it on the wire
        return await self._http.send(
            provider,
            "create",
            "POST",
            url,
            headers=self._headers(target, command_id),
            body=body,
            timeout=self._account.timeout,
            secrets=self.secrets,
        )
