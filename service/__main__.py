"""CLI entry: parse arguments, load settings, configure logging, run the chosen command. Nothing else."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from service.exits import EPILOG, Exit
from service.settings import SettingsError, load_settings

_CONFIG_HELP = "TOML settings file (default: $PAYMENT_SESSIONS_CONFIG); before or after the command"


def _version() -> str:
    try:
        return version("payment-sessions")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


_Subcommands = argparse._SubParsersAction  # the type add_subparsers returns


def _config_option() -> argparse.ArgumentParser:
    config = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand that is not given --config must not reset the value given before it
    config.add_argument("--config", default=argparse.SUPPRESS, help=_CONFIG_HELP)
    return config


def _command(commands: _Subcommands[argparse.ArgumentParser], name: str, help_: str) -> argparse.ArgumentParser:
    """A subcommand that takes ``--config`` too and lists the exit codes in its help."""
    return commands.add_parser(
        name,
        help=help_,
        parents=[_config_option()],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _parser() -> argparse.ArgumentParser:
    """``--config`` is taken before or after the (sub)command: ``payment-sessions run --config x.toml`` works."""
    parser = argparse.ArgumentParser(
        prog="payment-sessions",
        description="RabbitMQ session.create/update commands in, payment provider sessions made, events out.",
        parents=[_config_option()],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    _command(commands, "run", "consume commands and publish events until SIGTERM")
    simulate = _command(commands, "simulate", "serve every provider API on localhost")
    simulate.add_argument("--host", help="listen address (default: [simulator] host)")
    simulate.add_argument("--port", type=int, help="listen port (default: [simulator] port)")
    simulate.add_argument("--latency-ms", type=int, help="added latency per call, jittered +-50%%")
    _command(commands, "topology", "declare the exchanges and queues, then exit")
    send = _command(commands, "send", "publish one command and print the resulting event")
    send.add_argument("type", choices=["create", "update"], help="session.create or session.update")
    send.add_argument("--file", help="JSON command body; flags below override its fields")
    send.add_argument("--provider", help="primer, worldline, worldline-applepay, mpgs or acquired")
    send.add_argument("--account", help="merchant account name (default: default)")
    send.add_argument("--command-id", help="idempotency key (default: a new uuid)")
    send.add_argument("--session-id", help="session.id from session.created (update)")
    send.add_argument("--order-id")
    send.add_argument("--amount", type=int, help="minor units, e.g. 1250 for 12.50 EUR")
    send.add_argument("--currency", help="ISO 4217, e.g. EUR")
    send.add_argument("--options", help="provider options as a JSON object")
    send.add_argument("--no-validate", action="store_true", help="publish even what the contract refuses")
    send.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to connect, and then to publish and get the event"
    )
    dead = _command(commands, "dead-letters", "list, replay or purge the dead-letter queue")
    actions = dead.add_subparsers(dest="action", required=True)
    listing = _command(actions, "list", "one line per dead letter (never the body); all stay queued, in order")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of text")
    replay = _command(
        actions, "replay", "republish dead letters as commands (confirmed, then acked); progress on stderr"
    )
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every dead letter")
    which.add_argument("--id", action="append", dest="ids", metavar="MESSAGE_ID", help="by message_id; repeatable")
    purge = _command(actions, "purge", "remove every dead letter")
    purge.add_argument("--yes", action="store_true", help="really purge; without it only say how many")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(getattr(args, "config", None), require_file=args.command == "run")
    except SettingsError as exc:
        print(f"payment-sessions: bad configuration: {exc}", file=sys.stderr)
        return Exit.USAGE
    from service.logs import configure_logging

    stream = sys.stderr if args.command in ("send", "dead-letters") else sys.stdout
    configure_logging(settings.logging.level, settings.logging.format, stream, cache_loggers=True)
    if args.command == "run":
        from service.runner import run

        return _run_loop(run(settings))
    if args.command == "simulate":
        from service.simulator.server import serve

        return asyncio.run(serve(settings, host=args.host, port=args.port, latency_ms=args.latency_ms))
    if args.command == "topology":
        from service.runner import declare_topology

        return asyncio.run(declare_topology(settings))
    if args.command == "dead-letters":
        from service.deadletters import run_from_args

        return asyncio.run(run_from_args(settings, args))
    from service.sender import send_from_args

    return asyncio.run(send_from_args(settings, args))


def _run_loop(main: Coroutine[Any, Any, int]) -> int:
    """The service on uvloop's event loop where it is installed (a dependency outside Windows: ~5% less CPU per
    command, bench A/B), else on asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


if __name__ == "__main__":
    sys.exit(main())
