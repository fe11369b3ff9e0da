"""Redis store shared by replicas: each operation is one Lua script, atomic on the server."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as redis
from redis.exceptions import RedisError

from service.idempotency.records import (
    Busy,
    Claim,
    Claimed,
    Done,
    StoreUnavailable,
    decode_record,
    encode_record,
)

P = ParamSpec("P")
R = TypeVar("R")


def _unavailable_on_redis_errors(
    method: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis: {type(exc).__name__}") from None

    return wrapper


# KEYS[1] record key. ARGV: [1] new busy record, [2] lease ms, [3] the previous owner token handed over by a
# retry ("" for none). Returns nil when claimed.
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if current then
  local record = cjson.decode(current)
  if not (record.type == 'busy' and ARGV[3] ~= '' and record.token == ARGV[3]) then return current end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
"""
# ARGV: [1] token, [2] lease ms. Returns 1 when extended.
_EXTEND = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local record = cjson.decode(current)
if record.type == 'busy' and record.token == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# ARGV: [1] done record, [2] token, [3] retention ms. Returns the stored record when it is not ours to finish.
_FINISH = """
local current = redis.call('GET', KEYS[1])
if current then
  local record = cjson.decode(current)
  if record.type == 'done' or record.token ~= ARGV[2] then return current end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return false
"""
_RELEASE = """
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).token == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisStore:
    def __init__(self, client: redis.Redis, *, prefix: str, retention: float) -> None:
        self._client = client
        self._prefix = prefix
        self._retention_ms = int(retention * 1000)
        self._claim = client.register_script(_CLAIM)
        self._extend = client.register_script(_EXTEND)
        self._finish = client.register_script(_FINISH)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(cls, url: str, *, prefix: str, retention: float, connections: int = 64) -> RedisStore:
        """A client whose pool waits for a free connection (up to 5 s) rather than failing: every delivery in
        flight may be talking to the store at once, and a refused connection would be taken for an outage."""
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=connections, timeout=5, socket_timeout=5, socket_connect_timeout=5,
            health_check_interval=30,
        )  # fmt: skip
        return cls(redis.Redis(connection_pool=pool), prefix=prefix, retention=retention)

    def _key(self, command_id: str) -> list[Any]:
        return [f"{self._prefix}command:{command_id}"]

    @_unavailable_on_redis_errors
    async def claim(
        self, command_id: str, fingerprint: str, token: str, lease: float, previous: str | None = None
    ) -> Claim:
        busy = encode_record(Busy(token, fingerprint))
        current = await self._claim(keys=self._key(command_id), args=[busy, int(lease * 1000), previous or ""])
        if current is None:
            return Claimed(token)
        return decode_record(current)

    @_unavailable_on_redis_errors
    async def extend(self, command_id: str, token: str, lease: float) -> bool:
        return bool(await self._extend(keys=self._key(command_id), args=[token, int(lease * 1000)]))

    @_unavailable_on_redis_errors
    async def finish(self, command_id: str, token: str, outcome: Done) -> Done | None:
        current = await self._finish(
            keys=self._key(command_id), args=[encode_record(outcome), token, self._retention_ms]
        )
        if current is None:
            return outcome
        record = decode_record(current)
        return record if isinstance(record, Done) else None

    @_unavailable_on_redis_errors
    async def release(self, command_id: str, token: str) -> None:
        await self._release(keys=self._key(command_id), args=[token])

    @_unavailable_on_redis_errors
    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose(close_connection_pool=True)
