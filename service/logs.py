"""structlog, configured once: JSON lines off a terminal, redaction of secret-looking keys always.

Control characters in values are escaped by the JSON renderer, and by ``_escape`` for the console
renderer, so a hostile field can never forge a second record (S2).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import msgspec
import structlog

from service.secret import MASK, Secret

_SECRET_KEY = re.compile(
    r"(pass(word)?|secret|token|api_?key|app_key|authorization|aes256|cookie|credential)", re.IGNORECASE
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x1b]")


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key))


def _redact(value: Any, key: str = "") -> Any:
    if isinstance(value, Secret) or (key and value is not None and _secret_key(key)):
        return MASK
    if isinstance(value, dict):
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key != "event":
            event_dict[key] = _redact(event_dict[key], key)
    return event_dict


def _escape(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event_dict.items():
        if isinstance(value, str) and _CONTROL.search(value):
            event_dict[key] = value.encode("unicode_escape").decode("ascii")
    return event_dict


_json = msgspec.json.Encoder(enc_hook=str)  # whatever a library logs that JSON has no type for: its str()


def _render_json(event_dict: Any, **_: Any) -> str:
    return _json.encode(event_dict).decode()


def configure_logging(
    level: str = "info", fmt: str = "auto", stream: TextIO | None = None, *, cache_loggers: bool = False
) -> None:
    """``cache_loggers`` (one configuration per process, as ``run`` has) binds each logger once, on first use;
    tests reconfigure per test and leave it off."""
    stream = stream or sys.stdout
    as_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: Any = structlog.processors.JSONRenderer(_render_json) if as_json else structlog.dev.ConsoleRenderer()
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
        structlog.processors.format_exc_info,
    ]
    if not as_json:
        processors.append(_escape)
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=cache_loggers,
    )
    _route_stdlib_logging(stream, processors, renderer)


def _route_stdlib_logging(stream: TextIO, processors: list[Any], renderer: Any) -> None:
    """Libraries (aio-pika, aiohttp, redis) log through ``logging``: render their records the same way, so
    every line on the stream is one record in one format. Their warnings and errors only (reconnects)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *processors],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)
