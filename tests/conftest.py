"""Shared fixtures: the real broker (AMQP_URL, or a testcontainer where Docker exists) and the harness."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.harness import Harness


def _docker_available() -> bool:
    return shutil.which("docker") is not None and os.path.exists("/var/run/docker.sock")


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """AMQP_URL when set; else a RabbitMQ testcontainer where Docker runs; else the local default."""
    if url := os.environ.get("AMQP_URL"):
        yield url
        return
    if _docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as rabbit:
            params = rabbit.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
        return
    yield "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture
async def harness(amqp_url: str) -> AsyncIterator[Harness]:
    async with Harness(amqp_url) as running:
        yield running


@pytest.fixture
def command_id() -> str:
    return f"cmd-{uuid.uuid4()}"
