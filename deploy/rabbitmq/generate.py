"""Writes RabbitMQ definitions for payment-sessions: exchanges, queues, bindings, policies and the service's
least-privilege user, from the same plan the service declares (service/messaging/topology.py).

    python deploy/rabbitmq/generate.py                                  # = deploy/rabbitmq/definitions.json
    python deploy/rabbitmq/generate.py --config prod.toml --vhost payments --user payment-sessions-eu \\
        --password-file /run/secrets/amqp-password --output definitions.json

Only ``[topology]``, ``[retry]``, ``[expiry]`` and ``[broker] delivery_limit`` of the configuration are read (no
secret files): names, retry queues (one pair per distinct delay), expiry tier queues and the delivery-limit policy
follow them. Import with
``rabbitmqctl import_definitions definitions.json`` as an administrator.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from service.messaging.topology import definitions
from service.settings import settings_from_mapping


def _relevant(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    kept: dict[str, Any] = {key: raw[key] for key in ("topology", "retry", "expiry") if key in raw}
    if "delivery_limit" in raw.get("broker", {}):
        kept["broker"] = {"delivery_limit": raw["broker"]["delivery_limit"]}
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="the service's TOML settings (default: the defaults)")
    parser.add_argument("--vhost", default="/", help="virtual host (default: /)")
    parser.add_argument("--user", default="payment-sessions", help="the service's user (default: payment-sessions)")
    parser.add_argument("--password-file", help="give the user this password (salted SHA-256); default: none")
    parser.add_argument("--output", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    settings = settings_from_mapping(_relevant(args.config), {})
    password = Path(args.password_file).read_text(encoding="utf-8").strip() if args.password_file else None
    text = json.dumps(definitions(settings, user=args.user, vhost=args.vhost, password=password), indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
