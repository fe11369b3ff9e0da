"""`make demo`: run the simulator and the service, send commands, show the events they become.

Finishes by itself: stops both processes (SIGTERM, so you see a graceful drain) and exits non-zero if any
scenario did not produce the expected event type.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.names import CommandType
from service.sender import send
from service.settings import load_settings

CONFIG = ROOT / "config" / "local.toml"
LOGS = ROOT / ".demo"
TTY = sys.stdout.isatty()


def paint(code: str, text: str) -> str:
    return f"\033[{code}m{text}\033[0m" if TTY else text


def scenarios() -> list[tuple[str, CommandType, dict[str, Any] | str, str]]:
    """(title, command type, body, expected event type); ``{created:<n>}`` is filled from an earlier event,
    and a body ``{repeat:<n>}`` sends scenario n's command again, unchanged."""
    apple = {
        "validation_url": "https://apple-pay-gateway-cert.apple.com/paymentservices/startSession",
        "domain_name": "shop.example",
        "display_name": "Demo Shop",
    }
    return [
        (
            "Primer: create a client session",
            CommandType.CREATE,
            {
                "provider": "primer",
                "order_id": "order-1001",
                "amount": 1250,
                "currency": "EUR",
                "customer": {"email": "ada@example.com", "first_name": "Ada"},
            },
            "session.created",
        ),
        (
            "Primer: update it (new amount and line items)",
            CommandType.UPDATE,
            {
                "provider": "primer",
                "session_id": "{created:0}",
                "amount": 2000,
                "options": {"line_items": [{"item_id": "sku-1", "amount": 1000, "quantity": 2}]},
            },
            "session.updated",
        ),
        (
            "The first command again (a redelivery, or the order service retrying): same event_id, no new call",
            CommandType.CREATE,
            "{repeat:0}",
            "session.created",
        ),
        (
            "Primer: the provider answers 500 every time (magic amount 500.00): retried with backoff, then failed",
            CommandType.CREATE,
            {"provider": "primer", "amount": 50000, "currency": "EUR"},
            "session.failed",
        ),
        (
            "Invalid command: lower-case currency",
            CommandType.CREATE,
            {"provider": "primer", "amount": 100, "currency": "eur"},
            "session.failed",
        ),
        (
            "Mastercard Gateway: create with a JPY order",
            CommandType.CREATE,
            {"provider": "mpgs", "order_id": "order-1002", "amount": 1500, "currency": "JPY"},
            "session.created",
        ),
        (
            "Acquired.com: create a payment session",
            CommandType.CREATE,
            {"provider": "acquired", "order_id": "order-1003", "amount": 1502, "currency": "GBP"},
            "session.created",
        ),
        (
            "Worldline: create a client session restricted to cards",
            CommandType.CREATE,
            {"provider": "worldline", "options": {"payment_product_filters": {"restrict_to": {"groups": ["cards"]}}}},
            "session.created",
        ),
        (
            "Apple Pay via Worldline: merchant validation",
            CommandType.CREATE,
            {"provider": "worldline-applepay", "options": apple},
            "session.created",
        ),
        (
            "Worldline: update is not supported",
            CommandType.UPDATE,
            {"provider": "worldline", "session_id": "{created:7}"},
            "session.failed",
        ),
    ]


def summary(event: dict[str, Any]) -> str:
    if event["type"] == "session.failed":
        error = event["error"]
        return f"{error['code']}: {error['message']} (retryable={error['retryable']}, attempts={event['attempts']})"
    session = event["session"]
    expires = session.get("expires_at") or "-"
    return f"session {session['id'][:48]} expires {expires}"


def wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"demo: {url} did not answer within {seconds:g}s (see {LOGS}/)")


async def run_scenarios() -> int:
    settings = load_settings(str(CONFIG))
    created: list[str] = []
    failures = 0
    sent: list[dict[str, Any]] = []
    event_ids: list[str] = []
    for index, (title, command_type, template, expected) in enumerate(scenarios()):
        repeat = isinstance(template, str)
        body = dict(sent[int(template[8:-1])]) if repeat else json.loads(json.dumps(template))
        for key, value in body.items():
            if isinstance(value, str) and value.startswith("{created:"):
                body[key] = created[int(value[9:-1])]
        body.setdefault("command_id", f"demo-{os.getpid()}-{index}")
        sent.append(body)
        print(paint("1", f"\n{index + 1}. {title}"))
        print(paint("36", f"   → {command_type.value} ") + json.dumps(body, separators=(",", ":"))[:150])
        event = json.loads(await send(settings, command_type, body, timeout=15, validate=False))
        created.append(event["session"]["id"] if "session" in event else "")
        event_ids.append(event["event_id"])
        ok = event["type"] == expected and (not repeat or event["event_id"] == event_ids[int(template[8:-1])])
        failures += not ok
        colour = "32" if ok else "31"
        detail = f" event_id {event['event_id'][:8]}…" if repeat else ""
        print(
            paint(colour, f"   ← {event['type']} ")
            + summary(event)
            + detail
            + ("" if ok else f"  (expected {expected})")
        )
    return failures


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def main() -> int:
    for port, what in ((8080, "simulator"), (8000, "service probes")):
        if not port_free(port):
            raise SystemExit(f"demo: port {port} ({what}, see config/local.toml) is already in use; stop that first")
    LOGS.mkdir(exist_ok=True)
    env = {**os.environ, "PAYMENT_SESSIONS_CONFIG": str(CONFIG)}
    base = [sys.executable, "-m", "service"]
    procs = []
    with open(LOGS / "simulator.log", "w") as sim_log, open(LOGS / "service.log", "w") as svc_log:
        procs.append(subprocess.Popen([*base, "simulate"], stdout=sim_log, stderr=sim_log, env=env))
        procs.append(subprocess.Popen([*base, "run"], stdout=svc_log, stderr=svc_log, env=env))
        try:
            print(paint("1", "payment-sessions demo") + f" — simulator and service started, logs in {LOGS}/")
            wait_http("http://127.0.0.1:8080/_simulator/calls", 30)
            wait_http("http://127.0.0.1:8000/readyz", 60)
            failures = asyncio.run(run_scenarios())
            with urllib.request.urlopen("http://127.0.0.1:8000/metrics", timeout=2) as response:
                lines = [
                    ln
                    for ln in response.read().decode().splitlines()
                    if ln.startswith("payment_sessions_commands_total")
                ]
            print(paint("1", "\nMetrics (payment_sessions_commands_total):"))
            for line in lines:
                print("   " + line)
        finally:
            for proc in reversed(procs):
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
    print(paint("1", "\nService log, one summary line per command:"))
    for line in (LOGS / "service.log").read_text().splitlines():
        record = json.loads(line) if line.startswith("{") else {}
        if record.get("event") == "command":
            provider = record.get("provider") or "-"
            # An expiry pointer (session.expired, README) has a session, not a command: those of earlier demo runs
            # come back from the broker's tier queues too.
            # A batch of pointers (service/messaging/pointers.py) has a count instead.
            pointers = f"expiry x{record['pointers']}" if record.get("pointers") else None
            subject = record.get("command_id") or pointers or f"expiry {record.get('session_key', '?')[:8]}"
            print(f"   {subject:<16} {provider:<20} {record['outcome']:<16} {record['duration_ms']} ms")
    verdict = "all scenarios behaved" if not failures else f"{failures} scenario(s) misbehaved"
    print(paint("32" if not failures else "31", f"\n{verdict}; service exit code {procs[1].returncode}"))
    return 1 if failures or procs[1].returncode else 0


if __name__ == "__main__":
    sys.exit(main())
