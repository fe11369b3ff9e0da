"""Start-up, shutdown and CLI behaviour of the real process (``python -m service ...``) on the real broker.

What an orchestrator and an operator see: probes from the first moment, SIGTERM honoured during the start-up
retry, a refused login or a busy port as one line and a documented exit code, ``send`` telling "not published"
from "published, no outcome yet", and ``dead-letters replay`` reporting progress as it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
from pamqp.common import FieldValue
from yarl import URL

from service.exits import Exit
from service.messaging.topology import declare
from service.settings import Settings
from tests.harness import Harness, run_cli, write_config
from tests.tcp_switch import TcpSwitch

GRACE = 5.0  # shutdown_grace of every service started here


def _free_port() -> int:
    """A local port with nothing listening on it (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    drop = ("AMQP_URL", "REDIS_URL", "PAYMENT_SESSIONS_CONFIG")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, "PYTHONUNBUFFERED": "1", **extra}


class Process:
    """``python -m service <args>``; stdout (JSON log lines for ``run``) and stderr are collected as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.out: list[tuple[float, str]] = []  # (monotonic time it arrived, line)
        self.err: list[tuple[float, str]] = []
        self._readers = [
            asyncio.ensure_future(self._read(process.stdout, self.out)),
            asyncio.ensure_future(self._read(process.stderr, self.err)),
        ]

    @staticmethod
    async def _read(stream: asyncio.StreamReader | None, into: list[tuple[float, str]]) -> None:
        assert stream is not None
        while line := await stream.readline():
            into.append((time.monotonic(), line.decode(errors="replace").rstrip("\n")))

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for _, line in self.out if line.startswith("{")]

    def text(self) -> str:
        return "\n".join(line for _, line in self.out + self.err)

    async def record(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.records():
                if record.get("event") == event:
                    return record
            if self.process.returncode is not None:
                raise AssertionError(f"exited {self.process.returncode} before {event!r}:\n{self.text()}")
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {event!r} within {timeout:g}s:\n{self.text()}")

    async def wait(self, timeout: float) -> int:
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.gather(*self._readers)
        return code


@contextlib.asynccontextmanager
async def _service(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env or _env(),
    )  # fmt: skip
    try:
        yield Process(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _config(tmp_path: Path, harness: Harness, amqp_url: str, extra: str = "", *, connect_timeout: float = 60) -> Path:
    """A service on fresh uuid-named queues (removed by the harness), probes on a free port, grace ``GRACE``."""
    settings = harness.settings({})
    path = write_config(tmp_path / "service.toml", amqp_url, settings.topology)
    text = path.read_text().replace("connect_timeout = 5.0", f"connect_timeout = {connect_timeout}")
    http = extra or '[http]\nhost = "127.0.0.1"\nport = 0\n'
    path.write_text(f"shutdown_grace = {GRACE}\n{text}\n{http}")  # write_config gave it the harness's [retry]
    return path


async def _get(port: int, path: str) -> int:
    async with aiohttp.ClientSession() as client, client.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status


async def _until_status(port: int, path: str, status: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (seen := await _get(port, path)) != status:
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} answered {seen}, not {status}, for {timeout:g}s")
        await asyncio.sleep(0.1)


def _one_error_line(process: Process) -> dict[str, Any]:
    errors = [record for record in process.records() if record.get("level") == "error" and "logger" not in record]
    assert len(errors) == 1, process.text()
    assert "Traceback" not in process.text()
    return errors[0]


# --- 1, 2: probes from the start, SIGTERM at any time ---------------------------------------------------------


async def test_livez_answers_while_the_broker_is_retried_and_readyz_once_consuming(
    harness: Harness, tmp_path: Path
) -> None:
    """The broker is unreachable at start (a switch that refuses): /livez 200 at once, /readyz 503 until the
    broker appears and the service consumes; then SIGTERM stops it with exit 0."""
    upstream = URL(harness.amqp_url)
    switch = TcpSwitch((upstream.host or "127.0.0.1", upstream.port or 5672))  # a TCP hop, off for now
    config = _config(tmp_path, harness, str(upstream.with_port(switch.port)))
    try:
        async with _service("run", "--config", str(config)) as service:  # --config after the command
            port = int((await service.record("probe server listening"))["http_port"])
            await service.record("broker not reachable yet")
            assert await _get(port, "/livez") == 200
            assert await _get(port, "/readyz") == 503
            assert await _get(port, "/metrics") == 200
            await switch.on()  # the broker "starts"
            await _until_status(port, "/readyz", 200)
            ready = await service.record("ready")
            assert ready["http_port"] == port
            assert ready["event_loop"] == ("asyncio" if sys.platform == "win32" else "uvloop")  # a dependency there
            service.process.send_signal(signal.SIGTERM)
            assert await service.wait(GRACE + 5) == Exit.OK
    finally:
        await switch.off()


async def test_sigterm_during_the_start_up_retry_exits_within_the_grace(harness: Harness, tmp_path: Path) -> None:
    config = _config(tmp_path, harness, f"amqp://guest:guest@127.0.0.1:{_free_port()}/")
    async with _service("--config", str(config), "run") as service:
        await service.record("broker not reachable yet")
        started = time.monotonic()
        service.process.send_signal(signal.SIGTERM)
        assert await service.wait(GRACE + 5) == Exit.OK
        assert time.monotonic() - started < GRACE
        assert service.records()[-1]["event"] == "stopped"


# --- 3: a refused login is fatal at once -----------------------------------------------------------------------


async def test_wrong_credentials_stop_the_start_at_once_with_one_line(
    harness: Harness, amqp_url: str, tmp_path: Path
) -> None:
    password = f"wrong-{uuid.uuid4().hex}"
    url = URL(amqp_url).with_password(password)
    config = _config(tmp_path, harness, str(url), connect_timeout=30)
    started = time.monotonic()
    async with _service("run", "--config", str(config)) as service:
        assert await service.wait(20) == Exit.REFUSED
    assert time.monotonic() - started < 10, "retried as if the broker were down"
    line = _one_error_line(service)
    assert "refused the login" in line["event"] and "ACCESS_REFUSED" in line["event"]
    assert password not in service.text()


async def test_a_vhost_the_user_may_not_use_stops_the_start_at_once(
    harness: Harness, amqp_url: str, tmp_path: Path
) -> None:
    url = URL(amqp_url).with_path(f"/no-such-vhost-{uuid.uuid4().hex}")
    config = _config(tmp_path, harness, str(url), connect_timeout=30)
    async with _service("run", "--config", str(config)) as service:
        assert await service.wait(20) == Exit.REFUSED
    assert "vhost" in _one_error_line(service)["event"]


# --- 6: a busy probe port ---------------------------------------------------------------------------------------


async def test_a_busy_http_port_is_one_line_naming_it(harness: Harness, amqp_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        config = _config(tmp_path, harness, amqp_url, f'[http]\nhost = "127.0.0.1"\nport = {port}\n')
        async with _service("run", "--config", str(config)) as service:
            assert await service.wait(20) == Exit.HTTP_PORT
    line = _one_error_line(service)["event"]
    assert f"127.0.0.1:{port}" in line and "in use" in line


# --- 4: send tells "not published" from "published, no outcome yet" -----------------------------------------


async def test_send_to_an_unreachable_broker_is_not_published(harness: Harness, tmp_path: Path) -> None:
    config = _config(tmp_path, harness, f"amqp://guest:guest@127.0.0.1:{_free_port()}/")  # connect_timeout 60
    started = time.monotonic()
    code, out, err = await run_cli(config, "send", "create", "--provider", "primer", "--timeout", "2")
    assert code == Exit.UNREACHABLE, err
    assert time.monotonic() - started < 15  # --timeout bounds the connection attempts too
    assert "not published" in err and "no event" not in err and not out


async def test_send_with_wrong_credentials_is_not_published(harness: Harness, amqp_url: str, tmp_path: Path) -> None:
    password = f"wrong-{uuid.uuid4().hex}"
    config = _config(tmp_path, harness, str(URL(amqp_url).with_password(password)))
    code, out, err = await run_cli(config, "send", "create", "--provider", "primer", "--timeout", "2")
    assert code == Exit.REFUSED, err
    assert "not published" in err and "refused the login" in err and password not in out + err


async def test_send_published_without_an_outcome_says_so(harness: Harness, tmp_path: Path) -> None:
    """The topology exists but no service runs: the broker confirms the command, no event comes."""
    settings = harness.settings({})
    await declare(await harness.channel(), settings.topology, delivery_limit=settings.broker.delivery_limit)
    config = write_config(tmp_path / "send.toml", harness.amqp_url, settings.topology)
    code, out, err = await run_cli(
        config, "send", "create", "--provider", "primer", "--timeout", "1", "--command-id", "ops-no-outcome"
    )
    assert code == Exit.NO_OUTCOME, err
    assert "published (confirmed by the broker)" in err and "--command-id ops-no-outcome" in err and not out


# --- 7: dead-letters replay reports progress as it goes ------------------------------------------------------


async def _fill_dead_letters(harness: Harness, settings: Settings, count: int) -> None:
    channel = await harness.channel()
    await declare(channel, settings.topology, delivery_limit=settings.broker.delivery_limit)
    exchange = await channel.get_exchange(settings.topology.dead_letter_exchange)
    headers: dict[str, FieldValue] = {
        "x-payment-sessions-reason": "test",
        "x-payment-sessions-original-routing-key": "session.create",
    }
    for start in range(0, count, 500):
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(
                        b'{"command_id": "c-%d"}' % index,
                        headers=headers,
                        message_id=f"c-{index}",
                        content_type="application/json",
                        timestamp=datetime.now(UTC),
                    ),
                    "session.create",
                )
                for index in range(start, min(start + 500, count))
            )
        )
    underlay = await channel.get_underlay_channel()  # a robust channel answers a passive declare from its cache
    deadline = time.monotonic() + 60
    while (await underlay.queue_declare(settings.topology.dead_letter_queue, passive=True)).message_count != count:
        assert time.monotonic() < deadline, "dead letters never all arrived"
        await asyncio.sleep(0.2)


async def test_replay_of_thousands_reports_progress_as_it_goes(harness: Harness, tmp_path: Path) -> None:
    count = 3000
    settings = harness.settings({})
    await _fill_dead_letters(harness, settings, count)
    config = write_config(tmp_path / "dead-letters.toml", harness.amqp_url, settings.topology)
    async with _service("dead-letters", "replay", "--all", "--config", str(config)) as replay:
        assert await replay.wait(170) == Exit.OK, replay.text()
    progress = [(at, line) for at, line in replay.err if line.startswith("replay: ")]
    assert len(progress) >= count // 500, replay.text()
    looked_at = [int(line.split()[1]) for _, line in progress]
    assert looked_at == sorted(looked_at) and looked_at[-1] == count
    assert progress[-1][1] == f"replay: {count} of {count} dead letters looked at, {count} replayed, 0 not replayed"
    finished = replay.out[-1][0]
    assert progress[0][0] < finished - 0.5, "progress came only at the end"
    assert replay.out[-1][1] == "total: 3000 replayed, 0 not replayed (left in the queue), 0 not found"


async def test_dead_letters_on_an_unreachable_broker(harness: Harness, tmp_path: Path) -> None:
    config = _config(tmp_path, harness, f"amqp://guest:guest@127.0.0.1:{_free_port()}/", connect_timeout=1)
    code, out, err = await run_cli(config, "dead-letters", "list")
    assert code == Exit.UNREACHABLE and "broker unreachable" in err and not out
