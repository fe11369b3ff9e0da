"""The consumers under test and the processes that run them (and the stand-in): started in their own session so a
Ctrl-C reaches only the bench, which stops them in order; each dies with the bench if the bench is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from broker import Names

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1
API_KEY = "bench-key"


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def process_cpu(pid: int) -> float:
    """User plus system CPU seconds so far (``/proc/<pid>/stat`` utime + stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Process:
    """A child process with its output in ``log``; CPU and peak RSS read from ``/proc``."""

    def __init__(self, name: str, cmd: list[str], log: Path, cwd: Path = ROOT) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as sink:
            self._popen = subprocess.Popen(
                cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - the bench starts no threads before its children
            )  # fmt: skip
        self.pid = self._popen.pid
        self._spy = _profiler(self.pid, log.stem)

    async def wait_for(self, marker: str, timeout: float = 60.0) -> str:
        """The first line of output holding ``marker``."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log.read_text(errors="replace").splitlines():
                if marker in line:
                    return line
            if self._popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.tail()}")
            await asyncio.sleep(0.05)

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def keep_log(self) -> Path:
        """A copy in .bench/logs/ (the temp dir goes at the end)."""
        kept = ROOT / ".bench" / "logs" / self.log.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.log, kept)
        return kept

    def running(self) -> bool:
        return self._popen.poll() is None

    def warnings(self) -> dict[str, int]:
        """What it logged at warning level or above (JSON lines: the service), and any other output but the
        ready marker (the peers print nothing else unless something went wrong)."""
        found: Counter[str] = Counter()
        for line in self.log.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                if line.strip() not in ("", "ready"):
                    found["other output lines"] += 1
                continue
            with contextlib.suppress(ValueError, AttributeError, KeyError):
                record = json.loads(line)
                if record.get("level") in ("warning", "error", "critical"):
                    found[record["event"] + (f" ({record['error']})" if record.get("error") else "")] += 1
        return dict(found)

    def cpu(self) -> float:
        return process_cpu(self.pid)

    def peak_rss_mb(self) -> float:
        """``VmHWM`` from ``/proc/<pid>/status``: the largest resident set so far."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmHWM for {self.name}")

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds."""
        if self._spy is not None and self._spy.poll() is None:
            self._spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._spy.wait(30)
        if self._popen.poll() is None:
            self._popen.send_signal(signal.SIGTERM)
            try:
                self._popen.wait(grace)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()


class Replicas(Process):
    """Several processes of one contender, seen as one: CPU summed, peak RSS the largest, running while all run."""

    def __init__(self, processes: list[Process]) -> None:  # pylint: disable=super-init-not-called
        self._processes = processes
        self.name = processes[0].name
        self.log = processes[0].log
        self.pid = processes[0].pid

    async def wait_for(self, marker: str, timeout: float = 60.0) -> str:
        lines = [await each.wait_for(marker, timeout) for each in self._processes]
        return lines[0]

    def tail(self, lines: int = 20) -> str:
        return "\n".join(each.tail(lines) for each in self._processes)

    def keep_log(self) -> Path:
        kept = [each.keep_log() for each in self._processes]
        return kept[0]

    def running(self) -> bool:
        return all(each.running() for each in self._processes)

    def warnings(self) -> dict[str, int]:
        found: Counter[str] = Counter()
        for each in self._processes:
            found.update(each.warnings())
        return dict(found)

    def cpu(self) -> float:
        return sum(each.cpu() for each in self._processes)

    def peak_rss_mb(self) -> float:
        return max(each.peak_rss_mb() for each in self._processes)

    def stop(self, grace: float = 20.0) -> None:
        for each in self._processes:
            each.stop(grace)


def _profiler(pid: int, name: str) -> subprocess.Popen[bytes] | None:
    """With ``BENCH_PROFILE=<dir>``: py-spy samples the process (collapsed stacks in ``<dir>/<name>.txt``); for
    finding where the time goes, not for the figures (py-spy's own sampling costs the machine some CPU)."""
    folder = os.environ.get("BENCH_PROFILE")
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not folder or not Path(spy).exists():
        return None
    out = Path(folder).resolve() / f"{name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [spy, "record", "--format", "raw", "--rate", "200", "--nonblocking", "--pid", str(pid), "-o", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@dataclass(frozen=True)
class Environment:
    amqp_url: str
    redis_url: str
    redis_prefix: str
    names: Names
    provider_url: str
    workdir: Path  # temporary: configs and logs


@dataclass(frozen=True)
class Contender:
    name: str
    kind: str  # "peer" | "faststream" | "service"
    store: str = "memory"
    tree: Path = ROOT  # another checkout (``--baseline``): ``python -m service`` runs from there
    replicas: int = 1  # service processes sharing the queue (and the Redis store)
    otel: bool = False  # OpenTelemetry spans exported (to the stand-in, which drops them)

    def start(self, env: Environment, prefetch: int, label: str) -> tuple[Process, str]:
        """The running process and the output marker that says it consumes."""
        log = env.workdir / f"{self.name}.{label}.log"
        t = env.names.topology
        if self.kind == "service":
            path = env.workdir / f"{self.name}.{prefetch}.toml"
            config = write_service_config(env, self.store, prefetch, path, otel=self.otel)
            cmd = [sys.executable, "-m", "service", "--config", str(config), "run"]
            # the service's {"event": "consuming", ...} line says it consumes
            if self.replicas > 1:
                logs = [log.with_suffix(f".{index}.log") for index in range(self.replicas)]
                return Replicas([Process(self.name, cmd, each, cwd=self.tree) for each in logs]), '"consuming"'
            return Process(self.name, cmd, log, cwd=self.tree), '"consuming"'
        script = {"peer": BENCH / "peer.py", "faststream": BENCH / "faststream_peer.py"}[self.kind]
        python = faststream_python() if self.kind == "faststream" else sys.executable
        args = [env.amqp_url, t.commands_queue, t.events_exchange, env.provider_url, str(prefetch)]
        return Process(self.name, [str(python), str(script), *args], log), "ready"


def write_service_config(env: Environment, store: str, prefetch: int, path: Path, *, otel: bool = False) -> Path:
    topology = "\n".join(f'{key} = "{value}"' for key, value in _topology_items(env.names))
    idempotency = 'backend = "memory"\n'
    if store == "redis":
        idempotency = f'backend = "redis"\nurl = "{env.redis_url}"\nkey_prefix = "{env.redis_prefix}"\n'
    path.write_text(
        f"shutdown_grace = 10\n"
        f'[broker]\nurl = "{env.amqp_url}"\nprefetch = {prefetch}\n'
        f"[http]\nenabled = false\n"
        f'[logging]\nlevel = "info"\nformat = "json"\n'
        f"[topology]\n{topology}\n"
        f"[idempotency]\n{idempotency}"
        f'[accounts.default.primer]\nbase_url = "{env.provider_url}"\napi_key = "{API_KEY}"\n'
        + (f'[tracing]\notlp_endpoint = "{env.provider_url}"\n' if otel else "")
    )
    return path


def _topology_items(names: Names) -> list[tuple[str, str]]:
    t = names.topology
    fields = ("commands_exchange", "commands_queue", "events_exchange", "dead_letter_exchange", "dead_letter_queue")
    return [(name, getattr(t, name)) for name in fields]


FASTSTREAM_VENV = ROOT / ".bench" / "faststream-venv"


def faststream_python() -> Path:
    return FASTSTREAM_VENV / "bin" / "python"


def faststream_available() -> bool:
    python = faststream_python()
    if not python.exists():
        return False
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        check = subprocess.run([str(python), "-c", "import faststream, aiohttp"], capture_output=True, check=False)
        return check.returncode == 0
    return False


def install_faststream() -> bool:
    """``.bench/faststream-venv`` with FastStream (and aiohttp) from PyPI; the project's venv is left alone."""
    steps = [
        [sys.executable, "-m", "venv", str(FASTSTREAM_VENV)],
        [str(faststream_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "faststream[rabbit]", "aiohttp"],
    ]  # fmt: skip
    for step in steps:
        if subprocess.run(step, check=False).returncode != 0:
            print("bench: FastStream did not install; running without it", file=sys.stderr)
            return False
    return faststream_available()
