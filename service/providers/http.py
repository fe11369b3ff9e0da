"""The one place that talks to aiohttp for providers: timeouts, transport faults, reply size, redaction of
credentials from error bodies, latency metrics.

Adapters hand it a fully built request and get back status, headers and the whole raw body; what the body
means is for the provider's pure transformers to decide.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping

import aiohttp
from msgspec import Struct
from multidict import CIMultiDictProxy

from contracts.names import ErrorCode
from service.metrics import Metrics
from service.providers.base import ProviderError
from service.providers.redaction import redact, request_credentials
from service.tracing import IdsOnly, Spans, current

MAX_REPLY_BYTES = 1024 * 1024  # a longer reply is refused, never parsed truncated


class HttpReply(Struct, frozen=True):
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ProviderHttp:
    """Sends provider requests over one shared ``aiohttp.ClientSession``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        metrics: Metrics,
        *,
        max_reply_bytes: int = MAX_REPLY_BYTES,
        spans: Spans | None = None,
    ) -> None:
        self._session = session
        self._metrics = metrics
        self._max_reply_bytes = max_reply_bytes
        self._spans = spans or IdsOnly()

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
        secrets: Iterable[str] = (),
    ) -> HttpReply:
        """The reply, its body read whole. A non-2xx body comes back with every credential of the request and
        every one of ``secrets`` (the account's) replaced by ``***``: error text may echo the request."""
        started = time.perf_counter()
        outcome = "error"
        command = current.get()
        request = self._spans.request(command, provider, operation, method, url) if command is not None else None
        sent = {**headers, **request.headers()} if request is not None else dict(headers)
        status: int | None = None
        try:
            async with asyncio.timeout(timeout):
                async with self._session.request(
                    method, url, data=body, headers=sent, allow_redirects=False
                ) as response:
                    outcome, status = str(response.status), response.status
                    data = await self._read(provider, response)
                    reply = HttpReply(response.status, response.headers, data)
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
            if request is not None:
                self._spans.request_done(request, status)
        if reply.ok:
            return reply
        return HttpReply(reply.status, reply.headers, redact(reply.body, [*request_credentials(headers), *secrets]))

    async def _read(self, provider: str, response: aiohttp.ClientResponse) -> bytes:
        """The whole body (chunked or not) up to the cap; ``StreamReader.read(n)`` alone returns only what is
        buffered. A declared or actual length over the cap is refused: a truncated body is never parsed."""
        cap = self._max_reply_bytes
        declared = response.content_length
        if declared is not None and declared > cap:
            raise _too_long(provider, response.status, cap)
        data = bytearray()
        while len(data) <= cap:
            chunk = await response.content.read(cap + 1 - len(data))
            if not chunk:
                return bytes(data)
            data += chunk
        raise _too_long(provider, response.status, cap)


def _too_long(provider: str, status: int, cap: int) -> ProviderError:
    """Not retryable: the same request would bring the same oversized answer."""
    return ProviderError(
        ErrorCode.PROVIDER_ERROR,
        f"{provider} answered {status} with a body over the {cap}-byte limit",
        retryable=False,
        provider_status=status,
    )
