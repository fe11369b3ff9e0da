"""The one place that talks to aiohttp for providers: timeouts, transport faults, latency metrics.

Adapters hand it a fully built request and get back status, headers and raw body; what the body means
is for the provider's pure transformers to decide.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import aiohttp
from msgspec import Struct
from multidict import CIMultiDictProxy

from contracts.names import ErrorCode
from service.metrics import Metrics
from service.providers.base import ProviderError

MAX_REPLY_BYTES = 1024 * 1024


class HttpReply(Struct, frozen=True):
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ProviderHttp:
    """Sends provider requests over one shared ``aiohttp.ClientSession``."""

    def __init__(self, session: aiohttp.ClientSession, metrics: Metrics) -> None:
        self._session = session
        self._metrics = metrics

    async def send(
        self,
        provider: str,
        operation: str,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None = None,
        timeout: float,
    ) -> HttpReply:
        started = time.perf_counter()
        outcome = "error"
        try:
            async with asyncio.timeout(timeout):
                async with self._session.request(
                    method, url, data=body, headers=dict(headers), allow_redirects=False
                ) as response:
                    data = await response.content.read(MAX_REPLY_BYTES)
                    outcome = str(response.status)
                    return HttpReply(response.status, response.headers, data)
        except TimeoutError:
            outcome = "timeout"
            raise ProviderError(
                ErrorCode.TIMEOUT, f"{provider} did not answer {operation} within {timeout:g}s", retryable=True
            ) from None
        except aiohttp.ClientError as exc:
            outcome = "unreachable"
            raise ProviderError(
                ErrorCode.PROVIDER_UNAVAILABLE,
                f"{provider} {operation} failed in transport ({type(exc).__name__})",
                retryable=True,
            ) from None
        finally:
            self._metrics.provider_latency.labels(provider, operation, outcome).observe(time.perf_counter() - started)
