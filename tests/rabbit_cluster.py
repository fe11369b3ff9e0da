"""A RabbitMQ cluster of our own on this machine (three nodes by default), for tests of broker faults: a node
crashing (SIGKILL of its Erlang VM) or stopping, quorum-queue leaders moving, a node coming back with its data.

Each node has its own temporary directory (owned by the ``rabbitmq`` user, which the node runs as), free AMQP
and distribution ports, and a name ``ps-cl-<id>-<i>@localhost``. Every node and every ``rabbitmqctl`` call runs
as the ``rabbitmq`` user with its home, so they all share its ``.erlang.cookie`` (the main node's too: we only
ever address our own nodes by name). The main broker on 5672 and the shared epmd are never touched.

Nodes are ``subprocess.Popen`` objects, not asyncio ones, so the async methods work from any event loop: a
module-scoped fixture can start the cluster and function-scoped async tests can kill and restart its nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import pytest

USER = "rabbitmq"
NAME_PREFIX = "ps-cl-"
OWNER_VARIABLE = "PS_RABBIT_CLUSTER_OWNER"  # in each node's environment: the pid of the process that started it
BOOT_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0
CTL_TIMEOUT = 60.0
# One scheduler and one dirty CPU scheduler per node instead of one per core: three nodes on two cores leave
# room for the tests. Measured on 2 cores: idle ~0.45 % CPU per node instead of ~0.55 %, RSS ~116 MB instead of
# ~120 MB, boot time the same. RabbitMQ itself already turns scheduler busy-waiting off (+sbwt none ...).
ERL_ARGS = "+S 1:1 +SDcpu 1:1"


def _scripts() -> Path:
    """Where the real scripts live. Debian's /usr/sbin/rabbitmq-server is a wrapper that ``su``s to the
    rabbitmq user, and ``su -c`` starts a new session: the node would escape our process group."""
    packaged = Path("/usr/lib/rabbitmq/bin")
    if (packaged / "rabbitmq-server").exists():
        return packaged
    found = shutil.which("rabbitmq-server")
    if found is None:
        raise RuntimeError("rabbitmq-server is not installed")
    return Path(found).resolve().parent


def missing_requirements() -> str | None:
    """Why a cluster cannot start here (for a skip), or None."""
    missing = [tool for tool in ("rabbitmq-server", "rabbitmqctl") if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} to start a RabbitMQ cluster"
    if os.geteuid() != 0:
        return "starting RabbitMQ nodes as the rabbitmq user needs root here"
    try:
        pwd.getpwnam(USER)
    except KeyError:
        return f"needs the {USER!r} user that RabbitMQ nodes run as"
    return None


def _home() -> Path:
    """The rabbitmq user's home: the .erlang.cookie that our nodes and CLI calls share."""
    try:
        return Path(pwd.getpwnam(USER).pw_dir)
    except KeyError:
        return Path("/nonexistent")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _json(text: str) -> Any:
    """rabbitmqctl's JSON output, past any banner line before it."""
    starts = [index for index in (text.find("["), text.find("{")) if index >= 0]
    return json.loads(text[min(starts) :]) if starts else []


def _props(client_properties: Any) -> dict[str, Any]:
    """rabbitmqctl's JSON of an AMQP table: ``[[name, type, value], ...]``."""
    if not isinstance(client_properties, list):
        return {}
    return {item[0]: item[2] for item in client_properties if isinstance(item, list) and len(item) == 3}


class ClusterError(RuntimeError):
    """A node did not start or stop, or rabbitmqctl failed; the message holds its output or log tail."""


@dataclass
class ClusterNode:
    index: int
    name: str
    amqp_port: int
    dist_port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    def url_for(self, vhost: str) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{quote(vhost, safe='')}"

    @property
    def running(self) -> bool:
        """The node's process is there (booting, running or stopping)."""
        return self.process is not None and self.process.poll() is None

    def beam_pid(self) -> int | None:
        """The Erlang VM's pid: the pid file the node writes while booting, else the script's child."""
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.directory / "node.pid").read_text().strip())
            if _alive(pid):
                return pid
        if self.process is not None:
            with contextlib.suppress(OSError, ValueError):
                children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
                return int(children[0]) if children else None
        return None

    def log_tail(self, size: int = 2000) -> str:
        logs = [*sorted((self.directory / "log").glob("*.log")), self.directory / "log" / "console.out"]
        return "".join(path.read_text(errors="replace")[-size:] for path in logs if path.exists())


NodeRef = ClusterNode | str | int


class RabbitCluster:
    """``async with RabbitCluster() as cluster:`` (or ``await cluster.start()`` ... ``await cluster.close()``).

    Node arguments (``NodeRef``) are a ``ClusterNode``, its name, or its index in ``nodes`` (0-based)."""

    def __init__(self, *, erl_args: str = ERL_ARGS, boot_timeout: float = BOOT_TIMEOUT) -> None:
        self.erl_args = erl_args
        self.boot_timeout = boot_timeout
        self.id = uuid.uuid4().hex[:8]
        self.nodes: list[ClusterNode] = []
        self.directory: Path | None = None
        self.boot_seconds = 0.0
        self._home = _home()

    async def __aenter__(self) -> RabbitCluster:
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def node(self, ref: NodeRef) -> ClusterNode:
        if isinstance(ref, ClusterNode):
            return ref
        if isinstance(ref, int):
            return self.nodes[ref]
        for node in self.nodes:
            if node.name == ref:
                return node
        raise KeyError(f"no node {ref!r} in this cluster")

    def live(self) -> list[ClusterNode]:
        return [node for node in self.nodes if node.running]

    # --- lifecycle --------------------------------------------------------------------------------------------

    async def start(self, n: int = 3) -> None:
        """Boot ``n`` nodes as one cluster: the first alone, then the others at once, each joining the first
        through classic-config peer discovery: deterministic, where blank nodes booting at once and listing each other
        race to form the cluster."""
        if reason := missing_requirements():
            raise ClusterError(reason)
        reap_orphans()
        started = time.monotonic()
        self.directory = Path(tempfile.mkdtemp(prefix=f"payment-sessions-cluster-{os.getpid()}-"))
        seed = f"{NAME_PREFIX}{self.id}-1@localhost"
        for index in range(n):
            directory = self.directory / f"node{index + 1}"
            node = ClusterNode(
                index, f"{NAME_PREFIX}{self.id}-{index + 1}@localhost", _free_port(), _free_port(), directory
            )
            self._prepare(node, seed)
            self.nodes.append(node)
        # the CLI's own (empty) env file: the system's names the main node
        (self.directory / "rabbitmq-env.conf").write_text("")
        self._chown(self.directory)
        await self.start_node(0)
        await asyncio.gather(*(self.start_node(node) for node in self.nodes[1:]))
        await self.wait_clustered()
        self.boot_seconds = time.monotonic() - started

    def _prepare(self, node: ClusterNode, seed: str) -> None:
        for sub in ("mnesia", "log"):
            (node.directory / sub).mkdir(parents=True)
        (node.directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{node.amqp_port}\n"
            "log.file.level = warning\n"
            "log.console = false\n"
            "cluster_formation.peer_discovery_backend = classic_config\n"
            f"cluster_formation.classic_config.nodes.1 = {seed}\n"
        )
        (node.directory / "enabled_plugins").write_text("[].\n")  # lean: no management plugin
        (node.directory / "rabbitmq-env.conf").write_text("")

    @staticmethod
    def _chown(directory: Path) -> None:
        for path in [directory, *directory.rglob("*")]:
            shutil.chown(path, USER, USER)

    def _node_env(self, node: ClusterNode) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("RABBITMQ_", "ERL_"))}
        return {
            **env,
            "HOME": str(self._home),  # its .erlang.cookie
            "USER": USER,
            "LOGNAME": USER,
            "RABBITMQ_NODENAME": node.name,
            "RABBITMQ_NODE_PORT": str(node.amqp_port),
            "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_MNESIA_BASE": str(node.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node.directory / "log"),
            "RABBITMQ_CONFIG_FILE": str(node.directory / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.directory / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(node.directory / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(node.directory / "node.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": f"{self.erl_args} -kernel inet_dist_use_interface {{127,0,0,1}}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            OWNER_VARIABLE: str(os.getpid()),
        }

    async def start_node(self, ref: NodeRef) -> None:
        """Start a node that is not running (first boot, or back after ``kill``/``stop`` with its data: it is a
        cluster member already and rejoins by itself) and wait until it serves AMQP."""
        node = self.node(ref)
        if node.running:
            raise ClusterError(f"{node.name} is running already")
        with contextlib.suppress(FileNotFoundError):
            (node.directory / "node.pid").unlink()  # a killed node's: not this boot's VM
        node.process = await asyncio.to_thread(self._spawn, node)
        await self.wait_running(node)

    def _spawn(self, node: ClusterNode) -> subprocess.Popen[bytes]:
        with (node.directory / "log" / "console.out").open("ab") as output:
            return subprocess.Popen(
                [str(_scripts() / "rabbitmq-server")],
                env=self._node_env(node),
                cwd=node.directory,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the last resort of close()
                user=USER,
                group=USER,
                extra_groups=[],
            )

    async def wait_running(self, ref: NodeRef, timeout: float | None = None) -> None:
        """Until the node accepts AMQP connections (its listener starts at the end of its boot)."""
        node = self.node(ref)
        deadline = time.monotonic() + (timeout or self.boot_timeout)
        while not _listening(node.amqp_port):
            if not node.running:
                raise ClusterError(f"{node.name} is not running: {node.log_tail()[-1500:]}")
            if time.monotonic() > deadline:
                raise ClusterError(f"{node.name} did not start in time: {node.log_tail()[-1500:]}")
            await asyncio.sleep(0.25)

    async def wait_clustered(self, timeout: float = 60.0) -> None:
        """Until every node we consider running is a running member of one cluster."""
        wanted = {node.name for node in self.live()}
        deadline = time.monotonic() + timeout
        while (running := await self.running_nodes()) != wanted:
            if time.monotonic() > deadline:
                raise ClusterError(f"the cluster runs {sorted(running)}, not {sorted(wanted)}")
            await asyncio.sleep(0.5)

    async def running_nodes(self) -> set[str]:
        status = _json(await self.ctl(self._any_live(), "cluster_status", "--formatter", "json"))
        return set(status.get("running_nodes", [])) if isinstance(status, dict) else set()

    async def kill(self, ref: NodeRef) -> None:
        """SIGKILL the node's Erlang VM: a crash, no goodbye to its peers or clients."""
        node = self.node(ref)
        pid = node.beam_pid()
        if pid is None or node.process is None:
            raise ClusterError(f"{node.name} has no running VM to kill")
        os.kill(pid, signal.SIGKILL)
        await self._exited(node, STOP_TIMEOUT)

    async def stop(self, ref: NodeRef, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the node gracefully: SIGTERM to its script, which stops the VM (as ``rabbitmqctl stop``)."""
        node = self.node(ref)
        if node.process is None or not node.running:
            return
        node.process.terminate()
        try:
            await self._exited(node, timeout)
        except ClusterError:
            self._kill_group(node)
            await self._exited(node, 30)

    async def restart(self, ref: NodeRef) -> None:
        await self.stop(ref)
        await self.start_node(ref)

    async def revive(self) -> None:
        """Start every node that is down (in parallel: a node restarting after the whole cluster went down
        waits for the peers that stopped after it) and wait for one cluster again."""
        await asyncio.gather(*(self.start_node(node) for node in self.nodes if not node.running))
        await self.wait_clustered()

    async def _exited(self, node: ClusterNode, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while node.running or _listening(node.amqp_port):
            if time.monotonic() > deadline:
                raise ClusterError(f"{node.name} did not exit in {timeout:g}s")
            await asyncio.sleep(0.1)

    @staticmethod
    def _kill_group(node: ClusterNode) -> None:
        if node.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.process.pid, signal.SIGKILL)
        if (pid := node.beam_pid()) is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    async def close(self) -> None:
        """Stop every node (SIGTERM, then SIGKILL of its process group), make sure none of their processes is
        left, remove the files. Safe to call twice and after a failed ``start``."""
        try:
            await asyncio.gather(*(self.stop(node, timeout=20) for node in self.nodes), return_exceptions=True)
        finally:
            for node in self.nodes:
                self._kill_group(node)
                if node.process is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        node.process.wait(timeout=10)
            _kill_by_environment(lambda env: env.get("RABBITMQ_NODENAME", "").startswith(f"{NAME_PREFIX}{self.id}-"))
            if self.directory is not None:
                shutil.rmtree(self.directory, ignore_errors=True)

    # --- rabbitmqctl ------------------------------------------------------------------------------------------

    def _any_live(self) -> ClusterNode:
        for node in self.live():
            if _listening(node.amqp_port):
                return node
        raise ClusterError("no node of the cluster is running")

    async def ctl(
        self,
        ref: NodeRef | None,
        *args: str,
        timeout: float = CTL_TIMEOUT,
        check: bool = True,
        tool: str = "rabbitmqctl",
    ) -> str:
        """``rabbitmqctl -n <node> -q <args>`` (or ``tool``: rabbitmq-queues, rabbitmq-diagnostics) as the
        rabbitmq user; its output. ``ref`` None: any running node."""
        node = self.node(ref) if ref is not None else self._any_live()
        assert self.directory is not None
        env = {key: value for key, value in os.environ.items() if not key.startswith(("RABBITMQ_", "ERL_"))}
        env.update(HOME=str(self._home), RABBITMQ_CONF_ENV_FILE=str(self.directory / "rabbitmq-env.conf"))
        command = [str(_scripts() / tool), "-n", node.name, "-q", *args]
        process = await asyncio.create_subprocess_exec(
            *command,
            env=env,
            cwd=self._home,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            user=USER,
            group=USER,
            extra_groups=[],
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise ClusterError(f"{tool} -n {node.name} {' '.join(args)} timed out after {timeout:g}s") from None
        text = out.decode(errors="replace")
        if check and process.returncode != 0:
            raise ClusterError(f"{tool} -n {node.name} {' '.join(args)} exited {process.returncode}: {text[-800:]}")
        return text

    async def add_vhost(self, name: str, user: str = "guest") -> None:
        await self.ctl(None, "add_vhost", name)
        await self.ctl(None, "set_permissions", "-p", name, user, ".*", ".*", ".*")

    async def queue_info(self, queue: str, vhost: str = "/") -> dict[str, Any]:
        """``list_queues`` of one queue: name, type, leader, members (all replicas), online (those up),
        messages (from statistics: may lag a few seconds)."""
        columns = ("name", "type", "leader", "members", "online", "messages")
        rows = _json(await self.ctl(None, "list_queues", "-p", vhost, *columns, "--formatter", "json"))
        for row in rows:
            if row.get("name") == queue:
                return dict(row)
        raise ClusterError(f"no queue {queue!r} in vhost {vhost!r}")

    async def leader_of(self, queue: str, vhost: str = "/") -> str:
        """The node name of the quorum queue's leader, as a running node reports it."""
        return str((await self.queue_info(queue, vhost))["leader"])

    async def members_of(self, queue: str, vhost: str = "/") -> list[str]:
        return sorted(str(member) for member in (await self.queue_info(queue, vhost))["members"])

    async def online_members_of(self, queue: str, vhost: str = "/") -> list[str]:
        return sorted(str(member) for member in (await self.queue_info(queue, vhost))["online"])

    async def wait_leader(
        self, queue: str, vhost: str = "/", *, not_on: str | None = None, timeout: float = 60.0
    ) -> str:
        """Until the queue has a leader on a running node (other than ``not_on``); its name."""
        deadline = time.monotonic() + timeout
        live = {node.name for node in self.live()}
        while True:
            with contextlib.suppress(ClusterError):
                info = await self.queue_info(queue, vhost)
                leader = str(info.get("leader"))
                if leader in live and leader != not_on and leader in info.get("online", []):
                    return leader
            if time.monotonic() > deadline:
                raise ClusterError(f"queue {queue!r} has no leader on {sorted(live - {not_on})} after {timeout:g}s")
            await asyncio.sleep(0.25)

    async def node_of_connection(self, connection_name: str, vhost: str | None = None) -> str | None:
        """The node serving the client connection named ``connection_name`` (aio-pika's ``client_properties=
        {"connection_name": ...}``), from the cluster-wide connection list; None if there is none. This
        version's list_connections has no ``node`` column: the server-side ``port`` tells the node apart."""
        scope = ["-p", vhost] if vhost is not None else []
        rows = _json(
            await self.ctl(None, "list_connections", *scope, "port", "client_properties", "--formatter", "json")
        )
        by_port = {node.amqp_port: node.name for node in self.nodes}
        for row in rows:
            if _props(row.get("client_properties")).get("connection_name") == connection_name:
                return by_port.get(int(row.get("port") or 0))
        return None


def _kill_by_environment(matches: Callable[[dict[str, str]], bool]) -> list[int]:
    """SIGKILL every process whose environment ``matches``, by pid (our nodes carry their name and owner)."""
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            raw = (entry / "environ").read_bytes()
        except OSError:
            continue
        if NAME_PREFIX.encode() not in raw:
            continue
        env = dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)
        if matches(env):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
    return killed


def reap_orphans() -> list[int]:
    """Kill nodes left by a test process that died without closing its cluster (its pid is gone), and remove
    their directories. Another live run's nodes are left alone."""

    def orphaned(env: dict[str, str]) -> bool:
        owner = env.get(OWNER_VARIABLE, "")
        return env.get("RABBITMQ_NODENAME", "").startswith(NAME_PREFIX) and owner.isdigit() and not _alive(int(owner))

    killed = _kill_by_environment(orphaned)
    for directory in Path(tempfile.gettempdir()).glob("payment-sessions-cluster-*"):
        owner = re.match(r"payment-sessions-cluster-(\d+)-", directory.name)
        if owner and not _alive(int(owner.group(1))):
            shutil.rmtree(directory, ignore_errors=True)
    return killed


@pytest.fixture(scope="module", name="rabbit_cluster")
def rabbit_cluster_fixture() -> Iterator[RabbitCluster]:
    """``rabbit_cluster``: a running three-node cluster for a test module; its async methods work from the
    tests' own event loops. Import it into a test module with
    ``from tests.rabbit_cluster import rabbit_cluster_fixture  # noqa: F401 (the rabbit_cluster fixture)``.
    A test that kills or stops nodes should ``await rabbit_cluster.revive()`` in a ``finally``."""
    if reason := missing_requirements():
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = RabbitCluster()
    try:
        asyncio.run(cluster.start())
        yield cluster
    finally:
        asyncio.run(cluster.close())
