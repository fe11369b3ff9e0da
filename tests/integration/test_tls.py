"""amqps:// to a RabbitMQ node of our own: a CA, server and client certificates made with openssl, a node on free
ports with a TLS listener that requires a client certificate (and a plain one for the test's own publisher).

The service connects with verification on and works; with another CA, or without its client certificate, it
stops at once with one line naming the setting to fix. The node and its files are removed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts.events import SessionCreated
from service.bootstrap import running_service
from service.messaging.connection import BrokerTlsError
from service.settings import SettingsError, settings_from_mapping
from tests.harness import Harness

PRIMER_KEY = "sim-primer-key-tls"
BOOT_TIMEOUT = 120.0


def _need(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        reason = f"needs {', '.join(missing)} to start a TLS broker node"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca(directory: Path, name: str) -> None:
    _openssl(
        "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN=payment-sessions test {name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip


def _signed(directory: Path, name: str, usage: str, alt_names: str | None) -> None:
    """``<name>.pem`` / ``<name>.key``, signed by ``ca``; ``usage`` serverAuth or clientAuth."""
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN=payment-sessions test {name}",
        cwd=directory,
    )  # fmt: skip
    extensions = [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        f"extendedKeyUsage={usage}",
        "authorityKeyIdentifier=keyid",
    ]
    if alt_names:
        extensions.append(f"subjectAltName={alt_names}")
    (directory / f"{name}.ext").write_text("\n".join(extensions) + "\n")
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
        cwd=directory,
    )  # fmt: skip


@dataclass
class TlsNode:
    directory: Path
    nodename: str
    plain_port: int
    tls_port: int
    process: subprocess.Popen[bytes]

    @property
    def plain_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.plain_port}/"

    @property
    def tls_url(self) -> str:
        return f"amqps://guest:guest@127.0.0.1:{self.tls_port}/"

    def file(self, name: str) -> str:
        return str(self.directory / "certs" / name)

    def log_tail(self) -> str:
        logs = sorted((self.directory / "log").glob("*.log"))
        return "".join(path.read_text(errors="replace")[-2000:] for path in logs)


def _start_node(directory: Path) -> TlsNode:
    certs = directory / "certs"
    certs.mkdir()
    _ca(certs, "ca")
    _signed(certs, "server", "serverAuth", "IP:127.0.0.1,DNS:localhost")
    _signed(certs, "client", "clientAuth", None)
    (certs / "other").mkdir()
    _ca(certs / "other", "ca")  # a CA that signed nothing here: "the wrong CA"
    for sub in ("mnesia", "log"):
        (directory / sub).mkdir()
    plain_port, tls_port, dist_port = _free_port(), _free_port(), _free_port()
    (directory / "rabbitmq.conf").write_text(
        f"listeners.tcp.1 = 127.0.0.1:{plain_port}\n"
        f"listeners.ssl.1 = 127.0.0.1:{tls_port}\n"
        f"ssl_options.cacertfile = {certs / 'ca.pem'}\n"
        f"ssl_options.certfile = {certs / 'server.pem'}\n"
        f"ssl_options.keyfile = {certs / 'server.key'}\n"
        "ssl_options.verify = verify_peer\n"
        "ssl_options.fail_if_no_peer_cert = true\n"
        "log.file.level = warning\n"
    )
    (directory / "enabled_plugins").write_text("[].\n")
    (directory / "rabbitmq-env.conf").write_text("")  # not the system's (it names the main node)
    for path in [directory, *directory.rglob("*")]:  # the node runs as the rabbitmq user
        shutil.chown(path, "rabbitmq", "rabbitmq")
    nodename = f"ps-tls-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **os.environ,
        "RABBITMQ_NODENAME": nodename,
        "RABBITMQ_NODE_PORT": str(plain_port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
        "RABBITMQ_LOG_BASE": str(directory / "log"),
        "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
        "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
        "RABBITMQ_PID_FILE": str(directory / "node.pid"),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
    }
    output = (directory / "log" / "console.out").open("wb")
    process = subprocess.Popen(
        ["rabbitmq-server"], env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    output.close()
    node = TlsNode(directory, nodename, plain_port, tls_port, process)
    deadline = time.monotonic() + BOOT_TIMEOUT
    while not _listening(plain_port) or not _listening(tls_port):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop_node(node)
            raise RuntimeError(f"the TLS node did not start: {node.log_tail()[-1500:]}")
        time.sleep(0.5)
    return node


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _stop_node(node: TlsNode) -> None:
    """``rabbitmqctl stop`` on our node only; if that fails, the process group we started, by its id."""
    subprocess.run(["rabbitmqctl", "-n", node.nodename, "stop"], capture_output=True, timeout=120, check=False)
    try:
        node.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait(timeout=30)


@pytest.fixture(scope="module")
def tls_node() -> Iterator[TlsNode]:
    _need("openssl", "rabbitmq-server", "rabbitmqctl")
    if os.geteuid() != 0:
        pytest.skip("starting a second broker node as the rabbitmq user needs root here")
    directory = Path(tempfile.mkdtemp(prefix="payment-sessions-tls-node-"))
    try:
        node = _start_node(directory)
        try:
            yield node
        finally:
            _stop_node(node)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _accounts(harness: Harness) -> dict[str, Any]:
    return {"default": {"primer": {"base_url": harness.simulator_url, "api_key": PRIMER_KEY}}}


async def test_amqps_with_verification_and_a_client_certificate(tls_node: TlsNode, command_id: str) -> None:
    async with Harness(tls_node.plain_url) as harness:  # the test's publisher and event tap: the plain listener
        broker = {
            "url": tls_node.tls_url,
            "ca_file": tls_node.file("ca.pem"),
            "cert_file": tls_node.file("client.pem"),
            "key_file": tls_node.file("client.key"),
        }
        service = await harness.start(_accounts(harness), broker=broker)
        assert service.settings.broker.verify_tls
        body = {"command_id": command_id, "provider": "primer", "amount": 700, "currency": "EUR"}
        event = await service.send("session.create", body)
        assert isinstance(event, SessionCreated)


async def _fails(harness: Harness, broker: dict[str, Any]) -> str:
    settings = harness.settings(_accounts(harness), broker={"connect_timeout": 30.0, **broker})
    started = asyncio.get_running_loop().time()
    with pytest.raises(BrokerTlsError) as failed:
        async with running_service(settings):
            pass
    assert asyncio.get_running_loop().time() - started < 10  # not retried for connect_timeout
    message = str(failed.value)
    assert "guest:guest" not in message and "BEGIN" not in message
    return message


async def test_a_certificate_from_another_ca_is_refused_at_once(tls_node: TlsNode) -> None:
    async with Harness(tls_node.plain_url) as harness:
        message = await _fails(
            harness,
            {
                "url": tls_node.tls_url,
                "ca_file": tls_node.file("other/ca.pem"),
                "cert_file": tls_node.file("client.pem"),
                "key_file": tls_node.file("client.key"),
            },
        )
    assert message.startswith(f"TLS: the certificate of 127.0.0.1:{tls_node.tls_port} is not trusted")
    assert "[broker] ca_file" in message


async def test_a_missing_client_certificate_is_named(tls_node: TlsNode) -> None:
    async with Harness(tls_node.plain_url) as harness:
        message = await _fails(harness, {"url": tls_node.tls_url, "ca_file": tls_node.file("ca.pem")})
    assert "client certificate" in message and "cert_file and key_file" in message


async def test_tls_settings_need_amqps(tls_node: TlsNode) -> None:
    with pytest.raises(SettingsError, match="need an amqps:// url"):
        settings_from_mapping({"broker": {"url": tls_node.plain_url, "ca_file": tls_node.file("ca.pem")}}, {})
    with pytest.raises(SettingsError, match="cert and key go together"):
        settings_from_mapping({"broker": {"url": tls_node.tls_url, "cert_file": tls_node.file("client.pem")}}, {})
    with pytest.raises(SettingsError, match="give a path as ca_file"):
        settings_from_mapping({"broker": {"url": tls_node.tls_url, "ca": tls_node.file("ca.pem")}}, {})
