"""The broker as the fault suite sees it: ``rabbitmqctl`` on a vhost of our own.

Every fault test runs in one vhost created for the session (``faults-<uuid>``), so queue depths, connections
and ``close_all_connections`` see only what the suite made, never a colleague's run on ``/``. The broker-wide
faults (``stop_app``, a SIGKILL of the node, the memory alarm) restore the broker in a ``finally``, whatever
happened in between, because every later test needs it running, unblocked and with its old watermark.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiormq
from yarl import URL

from tests.harness import connect_any

CTL_TIMEOUT = 60.0


class BrokerCtlError(RuntimeError):
    """rabbitmqctl failed; the message holds its output."""


async def ctl(*args: str, timeout: float = CTL_TIMEOUT, check: bool = True) -> str:
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise BrokerCtlError(f"rabbitmqctl {' '.join(args)} timed out after {timeout:g}s") from None
    text = out.decode(errors="replace")
    if check and process.returncode != 0:
        raise BrokerCtlError(f"rabbitmqctl {' '.join(args)} exited {process.returncode}: {text[-500:]}")
    return text


def _json(text: str) -> list[dict[str, Any]]:
    start = text.find("[")
    return json.loads(text[start:]) if start >= 0 else []


def _props(client_properties: Any) -> dict[str, Any]:
    """rabbitmqctl's JSON of an AMQP table: ``[[name, type, value], ...]``."""
    if not isinstance(client_properties, list):
        return {}
    return {item[0]: item[2] for item in client_properties if isinstance(item, list) and len(item) == 3}


class BrokerControl:
    def __init__(self, base_url: str, vhost: str) -> None:
        self.vhost = vhost
        self.url = str(URL(base_url).with_path("/" + vhost, encoded=False))
        # yarl keeps a vhost name with no special characters as is; the suite only makes such names

    @classmethod
    async def create(cls, base_url: str) -> BrokerControl:
        await _drop_stale_vhosts()
        vhost = f"faults-{int(time.time())}-{uuid.uuid4().hex[:8]}"
        await ctl("add_vhost", vhost)
        user = URL(base_url).user or "guest"
        await ctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        return cls(base_url, vhost)

    async def drop(self) -> None:
        await ctl("delete_vhost", self.vhost, check=False)

    async def ctl(self, *args: str, timeout: float = CTL_TIMEOUT, check: bool = True) -> str:
        """``rabbitmqctl`` on the node (a cluster's control asks a node that is up)."""
        return await ctl(*args, timeout=timeout, check=check)

    # --- what is there ------------------------------------------------------------------------------------

    async def queues(self, prefix: str = "") -> dict[str, dict[str, int]]:
        """name -> messages (ready + unacked), messages_ready, messages_unacknowledged, consumers: from the
        broker's statistics, up to ~5 s old for quorum queues (see ``ready``)."""
        columns = ("name", "messages", "messages_ready", "messages_unacknowledged", "consumers")
        rows = _json(await self.ctl("-q", "list_queues", "-p", self.vhost, *columns, "--formatter", "json"))
        return {
            row["name"]: {key: int(row.get(key) or 0) for key in columns[1:]}
            for row in rows
            if row["name"].startswith(prefix)
        }

    async def ready(self, *names: str) -> dict[str, int]:
        """Messages ready in each queue, live (a passive declare). ``queues()`` takes its counts from the
        broker's statistics, which for quorum queues lag by up to ~5 s: good for names, not for counts."""
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            try:
                connection = await connect_any(self.url)
                break
            except (ConnectionError, OSError, aiormq.exceptions.AMQPError):
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.3)
        counts = {}
        async with connection:
            for name in names:
                channel = await connection.channel()
                try:
                    queue = await channel.declare_queue(name, passive=True)
                except aiormq.exceptions.ChannelNotFoundEntity:
                    continue
                counts[name] = int(queue.declaration_result.message_count or 0)
                await channel.close()
        return counts

    async def consumers(self, queue: str) -> int:
        """Consumers of ``queue`` right now (asked of the channels, not the statistics)."""
        rows = _json(await self.ctl("-q", "list_consumers", "-p", self.vhost, "queue_name", "--formatter", "json"))
        return sum(1 for row in rows if row.get("queue_name") == queue)

    async def connections(self, name_prefix: str = "") -> list[dict[str, Any]]:
        """Connections of our vhost whose client-given ``connection_name`` starts with ``name_prefix``."""
        columns = ("name", "client_properties", "channels", "state")
        rows = _json(await self.ctl("-q", "list_connections", "-p", self.vhost, *columns, "--formatter", "json"))
        found = []
        for row in rows:
            name = str(_props(row.get("client_properties")).get("connection_name") or "")
            if name.startswith(name_prefix):
                found.append({"name": name, "channels": int(row.get("channels") or 0), "state": row.get("state")})
        return found

    async def close_all_connections(self, reason: str) -> None:
        """Only our vhost's connections: the replicas, the ledger's publisher and its events consumer."""
        await self.ctl("close_all_connections", "-p", self.vhost, reason)

    # --- broker-wide faults ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def memory_alarm(self) -> AsyncIterator[str]:
        """Block every publishing connection with a 1-byte watermark; restore the previous one on exit."""
        previous = (await ctl("eval", "vm_memory_monitor:get_vm_memory_high_watermark().")).strip()
        restore = _watermark_args(previous)
        try:
            await ctl("set_vm_memory_high_watermark", "absolute", "1")
            await _until(self._memory_alarm_on, True, 30, "the memory alarm never went on")
            yield previous
        finally:
            await ctl("set_vm_memory_high_watermark", *restore)
            await _until(self._memory_alarm_on, False, 60, "the memory alarm never cleared")

    async def _memory_alarm_on(self) -> bool:
        return "resource_limit,memory" in (await ctl("eval", "rabbit_alarm:get_alarms()."))

    @contextlib.asynccontextmanager
    async def app_stopped(self) -> AsyncIterator[None]:
        """``stop_app`` now, ``start_app`` on exit (even when the test failed in between)."""
        try:
            await ctl("stop_app")
            yield
        finally:
            await ctl("start_app", check=False)
            await ensure_running()

    @contextlib.asynccontextmanager
    async def node_killed(self) -> AsyncIterator[int]:
        """SIGKILL the broker's Erlang VM (by its own PID), restart it on exit and wait for it."""
        pid = await broker_pid()
        try:
            os.kill(pid, signal.SIGKILL)
            await _until(_pid_gone, True, 30, "the broker process survived SIGKILL", pid)
            yield pid
        finally:
            await ensure_running()


async def _drop_stale_vhosts(max_age: float = 3600.0) -> None:
    """Vhosts of fault sessions that died without cleaning up (a killed pytest), over an hour old."""
    for name in (await ctl("-q", "list_vhosts", "name")).split():
        stamp = re.fullmatch(r"faults-(\d+)-[0-9a-f]+", name)
        if stamp and time.time() - int(stamp.group(1)) > max_age:
            await ctl("delete_vhost", name, check=False)


def _watermark_args(previous: str) -> list[str]:
    absolute = re.fullmatch(r"\{absolute,\s*(\d+)\}", previous)
    if absolute:
        return ["absolute", absolute.group(1)]
    if re.fullmatch(r"\d+(\.\d+)?", previous):
        return [previous]
    raise BrokerCtlError(f"cannot read the memory watermark from {previous!r}: refusing to change it")


async def broker_pid() -> int:
    return int((await ctl("eval", "os:getpid().")).strip().strip('"'))


async def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def _until(probe: Any, wanted: Any, timeout: float, message: str, *args: Any) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await probe(*args) != wanted:
        if asyncio.get_running_loop().time() > deadline:
            raise BrokerCtlError(message)
        await asyncio.sleep(0.2)


async def _running() -> bool:
    return (await ctl("eval", "rabbit:is_running().", timeout=15, check=False)).strip() == "true"


async def ensure_running(timeout: float = 120.0) -> None:
    """The broker's application running: started again (``rabbitmq-server -detached``, which switches to the
    broker's own user) when the node is down, ``start_app`` when only the application is stopped."""
    deadline = asyncio.get_running_loop().time() + timeout
    started = False
    while not await _running():
        if asyncio.get_running_loop().time() > deadline:
            raise BrokerCtlError("the broker did not come back")
        if not await _node_up() and not started:
            process = await asyncio.create_subprocess_exec(
                "rabbitmq-server", "-detached", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
            )
            await process.wait()
            started = True
        elif await _node_up():
            await ctl("start_app", check=False)
        await ctl("await_startup", "--timeout", "30", timeout=45, check=False)


async def _node_up() -> bool:
    return (await ctl("eval", "ok.", timeout=15, check=False)).strip() == "ok"
