"""Redis store shared by replicas: each operation is one Lua script, atomic on the server.

Calls made while a pipeline is on its way wait for the next one, which carries them all (``_Pipeliner`` on
``service.groupcommit``: one round trip and one pooled connection for tens of commands in flight, as ioredis'
auto-pipelining does); each call still gets its own reply or error.

Either one Redis (``from_url``) or the master that Redis Sentinel names (``through_sentinels``), asked for before
every new connection and once a second. After a failover the connections to the old master fail (refused, reset,
or ``READONLY`` from a demoted master): every Redis error is ``StoreUnavailable``, the consumer pauses and probes
``ping``, which asks the sentinels again, and the pool's next connections go to the new master.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as redis
from redis.asyncio.connection import AbstractConnection, Connection, parse_url
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.exceptions import NoScriptError, RedisError

from service.groupcommit import GroupCommit
from service.idempotency.records import (
    Busy,
    Claim,
    Claimed,
    Done,
    StoreUnavailable,
    decode_record,
    encode_record,
)

# Seconds between looks at the master the sentinels name. They promote a replica without telling clients, and the
# old master keeps taking writes (lost when it is demoted, 8 s or more later) from connections that still reach it.
MASTER_LOOK_INTERVAL = 1.0
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


# KEYS[1] session key. ARGV: [1] noted_at ms, [2] record, [3] ttl ms. The value is "<noted_at>|<record>"; a record
# noted earlier than the one there is dropped (a replayed create after its update).
_NOTE = """
local current = redis.call('GET', KEYS[1])
if current then
  local noted = tonumber(string.match(current, '^(%d+)|'))
  if noted and noted > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1
"""


class _Script:
    """A Lua script run by its SHA1 (EVALSHA); loaded again when Redis does not know it (a restart, a failover)."""

    def __init__(self, client: redis.Redis, source: str) -> None:
        self.source = source
        self.sha = client.register_script(source).sha


class _Pipeliner:
    """Store calls through one group commit (service.groupcommit): the calls in flight share a pipeline."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._commit: GroupCommit[tuple[tuple[Any, ...], _Script | None], Any] = GroupCommit(self._send)

    async def call(self, *command: Any, script: _Script | None = None) -> Any:
        return await self._commit.submit((command, script))

    async def _send(self, batch: list[tuple[tuple[Any, ...], _Script | None]]) -> list[Any]:
        replies = await self._pipeline([command for command, _ in batch])
        unknown = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if unknown:  # Redis lost its scripts: load them, then run those calls again
            for script in {id(s): s for _, s in batch if s is not None}.values():
                await self._client.script_load(script.source)
            again = await self._pipeline([batch[i][0] for i in unknown])
            for i, reply in zip(unknown, again, strict=True):
                replies[i] = reply
        return replies

    async def _pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        async with self._client.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            return list(await pipe.execute(raise_on_error=False))


class _BlockingSentinelPool(SentinelConnectionPool, redis.BlockingConnectionPool):
    """Connections to the master the sentinels name, waiting for a free one as ``from_url``'s pool does."""

    async def release(self, connection: AbstractConnection) -> None:
        # A connection busy when the master changed would go back to the pool still talking to the old one.
        master = self.master_address
        if master is not None and isinstance(connection, Connection) and (connection.host, connection.port) != master:
            await connection.disconnect()
        await super().release(connection)


class RedisStore:
    def __init__(self, client: redis.Redis, *, prefix: str, retention: float, sentinel: Sentinel | None = None) -> None:
        self._client = client
        self._sentinel = sentinel
        self._watcher: asyncio.Task[None] | None = None
        self._prefix = prefix
        self._retention_ms = int(retention * 1000)
        self._calls = _Pipeliner(client)
        self._claim = _Script(client, _CLAIM)
        self._extend = _Script(client, _EXTEND)
        self._finish = _Script(client, _FINISH)
        self._release = _Script(client, _RELEASE)
        self._note = _Script(client, _NOTE)

    async def _run(self, script: _Script, key: str, *args: Any) -> Any:
        return await self._calls.call("EVALSHA", script.sha, 1, key, *args, script=script)

    @classmethod
    def from_url(cls, url: str, *, prefix: str, retention: float, connections: int = 64) -> RedisStore:
        """A client whose pool waits for a free connection (up to 5 s) rather than failing: every delivery in
        flight may be talking to the store at once, and a refused connection would be taken for an outage."""
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=connections, timeout=5, socket_timeout=5, socket_connect_timeout=5,
            health_check_interval=30,
        )  # fmt: skip
        return cls(redis.Redis(connection_pool=pool), prefix=prefix, retention=retention)

    @classmethod
    def through_sentinels(
        cls,
        sentinels: list[tuple[str, int]],
        master_name: str,
        url: str,
        *,
        sentinel_password: str | None = None,
        prefix: str,
        retention: float,
        connections: int = 64,
    ) -> RedisStore:
        """The master of ``master_name`` as the sentinels name it, asked again for every new connection. ``url``
        gives the data nodes' user, password, db and options; its host and port are not used."""
        parsed = parse_url(url)
        if "connection_class" in parsed:  # TLS or a unix socket would replace the sentinel-managed connections
            raise ValueError("through sentinels the url must be redis:// (no rediss://, no unix://)")
        timeouts = {"socket_timeout": 5, "socket_connect_timeout": 5}
        node = {key: value for key, value in parsed.items() if key not in ("host", "port")}  # the sentinels say
        options = {**timeouts, "health_check_interval": 30, **node}
        sentinel_kwargs = {**timeouts, "password": sentinel_password}
        sentinel = Sentinel(sentinels, sentinel_kwargs=sentinel_kwargs, **options)  # type: ignore[no-untyped-call]
        client = sentinel.master_for(
            master_name, connection_pool_class=_BlockingSentinelPool, max_connections=connections, timeout=5
        )
        return cls(client, prefix=prefix, retention=retention, sentinel=sentinel)

    def _key(self, command_id: str) -> str:
        return f"{self._prefix}command:{command_id}"

    @_unavailable_on_redis_errors
    async def claim(
        self, command_id: str, fingerprint: str, token: str, lease: float, previous: str | None = None
    ) -> Claim:
        if self._sentinel is not None and self._watcher is None:  # started in the loop that uses the store
            self._watcher = asyncio.create_task(self._follow_master())
        busy = encode_record(Busy(token, fingerprint))
        current = await self._run(self._claim, self._key(command_id), busy, int(lease * 1000), previous or "")
        if current is None:
            return Claimed(token)
        return decode_record(current)

    @_unavailable_on_redis_errors
    async def extend(self, command_id: str, token: str, lease: float) -> bool:
        return bool(await self._run(self._extend, self._key(command_id), token, int(lease * 1000)))

    @_unavailable_on_redis_errors
    async def finish(self, command_id: str, token: str, outcome: Done) -> Done | None:
        current = await self._run(
            self._finish, self._key(command_id), encode_record(outcome), token, self._retention_ms
        )
        if current is None:
            return outcome
        record = decode_record(current)
        return record if isinstance(record, Done) else None

    @_unavailable_on_redis_errors
    async def release(self, command_id: str, token: str) -> None:
        await self._run(self._release, self._key(command_id), token)

    @_unavailable_on_redis_errors
    async def note_session(self, key: str, record: str, noted_at: int, ttl: float) -> None:
        await self._run(self._note, f"{self._prefix}session:{key}", noted_at, record, max(1, int(ttl * 1000)))

    @_unavailable_on_redis_errors
    async def session_note(self, key: str) -> str | None:
        value = await self._calls.call("GET", f"{self._prefix}session:{key}")
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else str(value)
        return text.partition("|")[2]

    @_unavailable_on_redis_errors
    async def ping(self) -> None:
        pool = self._client.connection_pool
        if isinstance(pool, SentinelConnectionPool):
            # Ask the sentinels (a master they see as down is no master): a new address drops the idle connections
            # to the old one, so the consumer resumes only once the promoted master answers.
            await pool.get_master_address()  # type: ignore[no-untyped-call]
        await self._client.ping()

    async def _follow_master(self) -> None:
        """A new address drops the idle connections to the old master (``get_master_address``); the busy ones
        are dropped when they come back (``_BlockingSentinelPool.release``)."""
        pool = self._client.connection_pool
        assert isinstance(pool, SentinelConnectionPool)
        while True:
            await asyncio.sleep(MASTER_LOOK_INTERVAL)
            with contextlib.suppress(RedisError, OSError):  # no sentinel answers: keep the master we have
                await pool.get_master_address()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await self._client.aclose(close_connection_pool=True)
        if self._sentinel is not None:
            await self._sentinel.aclose()
