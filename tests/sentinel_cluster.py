"""A Redis Sentinel setup of the test's own: one master, one replica and three sentinels (quorum 2), each a
``redis-server`` process on a free port of 127.0.0.1 with its own directory, for failover tests.

Small timings (``down-after-milliseconds`` 1000, ``failover-timeout`` 3000) make a failover take a few seconds.
Data nodes and sentinels may require passwords, to exercise the settings that carry them. ``close()`` stops
every process it started and removes the directory, whatever state the test left them in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis.asyncio as redis

MASTER_NAME = "ps-sentinel-test"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 3000
START_TIMEOUT = 30.0


def need_redis_server() -> str:
    """The ``redis-server`` binary, or a skip naming what is missing (a failure in CI, where it must be)."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "needs redis-server on PATH to start a master, a replica and three sentinels"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Node:
    name: str
    port: int
    process: asyncio.subprocess.Process | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None


class SentinelCluster:
    def __init__(self, *, password: str | None = None, sentinel_password: str | None = None) -> None:
        self.binary = need_redis_server()
        self.password = password
        self.sentinel_password = sentinel_password
        self.dir = Path(tempfile.mkdtemp(prefix="ps-sentinel-"))
        self.master = Node("master", _free_port())
        self.replica = Node("replica", _free_port())
        self.sentinels = [Node(f"sentinel-{i}", _free_port()) for i in range(3)]

    @property
    def sentinel_addresses(self) -> list[str]:
        return [f"127.0.0.1:{node.port}" for node in self.sentinels]

    @property
    def data_nodes(self) -> list[Node]:
        return [self.master, self.replica]

    def url(self, db: int = 0) -> str:
        """The ``[idempotency] url`` for the data nodes: its password and db count, its host does not."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:1/{db}"

    async def start(self) -> None:
        auth = ["--requirepass", self.password, "--masterauth", self.password] if self.password else []
        for node in self.data_nodes:
            follow = ["--replicaof", "127.0.0.1", str(self.master.port)] if node is self.replica else []
            await self._spawn(node, *auth, *follow)
        for node in self.sentinels:
            await self._spawn(node, str(self._sentinel_conf(node)), "--sentinel")
        await self.wait_healthy()

    def _sentinel_conf(self, node: Node) -> Path:
        directory = self.dir / node.name
        lines = [
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master.port} 2",
            f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {MASTER_NAME} 1",
        ]
        if self.password:
            lines.append(f"sentinel auth-pass {MASTER_NAME} {self.password}")
        if self.sentinel_password:  # the sentinels talk to each other with it too
            lines += [f"requirepass {self.sentinel_password}", f"sentinel sentinel-pass {self.sentinel_password}"]
        directory.mkdir(exist_ok=True)
        conf = directory / "sentinel.conf"  # sentinels rewrite their file: one each
        conf.write_text("\n".join(lines) + "\n")
        return conf

    async def _spawn(self, node: Node, *args: str) -> None:
        directory = self.dir / node.name
        directory.mkdir(exist_ok=True)
        with (directory / "log").open("ab") as log:
            node.process = await asyncio.create_subprocess_exec(
                self.binary, *args, "--port", str(node.port), "--bind", "127.0.0.1", "--dir", str(directory),
                "--save", "", "--appendonly", "no", "--protected-mode", "no",
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip

    def client(self, node: Node, db: int = 0) -> redis.Redis:
        password = self.sentinel_password if node in self.sentinels else self.password
        return redis.Redis(port=node.port, db=db, password=password, socket_timeout=2, socket_connect_timeout=2)

    async def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        """The replica is in sync and every sentinel sees the master, its replica and the two other sentinels:
        from here a failover can be agreed on."""
        deadline = time.monotonic() + timeout
        while True:
            state = await self._health()
            if state == "ok":
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"sentinel setup not healthy within {timeout:g}s: {state}; logs in {self.dir}")
            await asyncio.sleep(0.2)

    async def _health(self) -> str:
        try:
            async with self.client(self.replica) as replica:
                info = await replica.info("replication")
            if info.get("master_link_status") != "up":
                return f"replica link {info.get('master_link_status')}"
            for node in self.sentinels:
                async with self.client(node) as sentinel:
                    master = await sentinel.sentinel_master(MASTER_NAME)
                assert isinstance(master, dict)
                if (master["num-other-sentinels"], master["num-slaves"]) != (2, 1):
                    return f"{node.name}: {master['num-other-sentinels']} sentinels, {master['num-slaves']} replicas"
        except (redis.RedisError, OSError) as exc:
            return type(exc).__name__
        return "ok"

    async def named_master(self, sentinel: Node) -> int:
        """The master's port as ``sentinel`` names it."""
        async with self.client(sentinel) as client:
            address = await client.sentinel_get_master_addr_by_name(MASTER_NAME)
        assert isinstance(address, tuple), address
        return int(address[1])

    async def failover(self) -> None:
        """``SENTINEL FAILOVER``: the planned hand-over, the old master demoted to a replica of the new one."""
        async with self.client(self.sentinels[0]) as sentinel:
            await sentinel.sentinel_failover(MASTER_NAME)

    async def kill(self, node: Node) -> None:
        """SIGKILL: no goodbye, whatever was not yet replicated is gone with it."""
        if node.alive:
            assert node.process is not None
            with contextlib.suppress(ProcessLookupError):
                node.process.send_signal(signal.SIGKILL)
            await node.process.wait()

    async def wait_promoted(self, old: Node, timeout: float = 30.0) -> tuple[Node, float]:
        """Wait until every sentinel names another node than ``old`` as master and that node says it is one;
        returns the new master and the seconds it took."""
        started = time.monotonic()
        while True:
            ports = set()
            for node in self.sentinels:
                with contextlib.suppress(redis.RedisError, OSError):
                    ports.add(await self.named_master(node))
            if len(ports) == 1 and old.port not in ports:
                new = next(node for node in self.data_nodes if node.port in ports)
                with contextlib.suppress(redis.RedisError, OSError):
                    async with self.client(new) as promoted:
                        if (await promoted.info("replication"))["role"] == "master":
                            return new, time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise AssertionError(f"no promotion within {timeout:g}s (sentinels name {ports}); logs in {self.dir}")
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        for node in [*self.sentinels, *self.data_nodes]:
            await self.kill(node)
        shutil.rmtree(self.dir, ignore_errors=True)
