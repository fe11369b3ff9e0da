"""Checks on the URLs an Apple Pay command brings, made before any request is sent (S3, SSRF). Pure.

A refused URL is the command's fault, so the error is ``invalid_command`` and never retryable. Messages
name the rule, never the URL (it is caller input and would land in events and logs).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from importlib import resources
from urllib.parse import SplitResult, urlsplit, urlunsplit

from contracts.names import ErrorCode
from service.providers.base import ProviderError

VALIDATION_URL_FIELD = "options.validation_url"
CLIENT_API_URL_FIELD = "options.client_api_url"
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\#]")  # controls, spaces, backslashes (parsers disagree), fragments
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _refused(field: str, rule: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_COMMAND, f"{field} refused: {rule}", retryable=False, field=field)


def parse_hosts(lines: Iterable[str]) -> frozenset[str]:
    """Host names, one a line; ``#`` starts a comment; case is folded."""
    hosts = (line.split("#", 1)[0].strip().lower() for line in lines)
    return frozenset(host for host in hosts if host)


@functools.cache
def shipped_apple_hosts() -> frozenset[str]:
    """Apple's merchant-validation hosts shipped with the service (``applepay_domains.txt``)."""
    text = resources.files(__package__).joinpath("applepay_domains.txt").read_text(encoding="utf-8")
    return parse_hosts(text.splitlines())


def _split(url: str, field: str) -> SplitResult:
    if not url.isascii() or _UNSAFE.search(url):
        raise _refused(field, "control characters, spaces, backslashes, fragments and non-ASCII are not allowed")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise _refused(field, "not a valid URL") from None
    if "@" in parts.netloc:
        raise _refused(field, "user information is not allowed")
    if not parts.hostname:
        raise _refused(field, "a host is required")
    return parts


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _port(parts: SplitResult) -> int | None:
    return parts.port if parts.port is not None else _DEFAULT_PORTS.get(parts.scheme)


def check_validation_url(url: str, apple_hosts: frozenset[str]) -> str:
    """The URL to send when it is https, port 443 and its host exactly one of ``apple_hosts``.

    The URL is rebuilt from its checked parts (scheme and host lower-cased, default port dropped), so what
    is sent is what was checked.
    """
    parts = _split(url, VALIDATION_URL_FIELD)
    if parts.scheme != "https" or _port(parts) != 443:
        raise _refused(VALIDATION_URL_FIELD, "must be https on port 443")
    host = parts.hostname or ""
    if _is_ip_literal(host) or host not in apple_hosts:
        raise _refused(VALIDATION_URL_FIELD, "the host is not one of Apple's merchant-validation hosts")
    return urlunsplit(("https", host, parts.path, parts.query, ""))


CLIENT_API_PATHS = ("/client", "/client/v1")  # both forms appear in Worldline's documents and SDKs
_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


@functools.cache
def shipped_client_api_hosts() -> frozenset[str]:
    """The client API hosts Worldline documents, shipped with the service (``client_api_hosts.txt``)."""
    text = resources.files(__package__).joinpath("client_api_hosts.txt").read_text(encoding="utf-8")
    return parse_hosts(text.splitlines())


def host_allowed(host: str, rules: frozenset[str]) -> bool:
    """``host`` is exactly one of ``rules``, or lies under a ``*.<domain>`` rule. Never an IP literal."""
    if _is_ip_literal(host) or not _HOST.fullmatch(host):
        return False
    return host in rules or any(rule[1:] and host.endswith(rule[1:]) for rule in rules if rule.startswith("*."))


def _origin(parts: SplitResult) -> str:
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = _port(parts)
    return f"{parts.scheme}://{host}" if port == _DEFAULT_PORTS.get(parts.scheme) else f"{parts.scheme}://{host}:{port}"


def check_client_api_url(url: str, base_url: str, hosts: frozenset[str]) -> str:
    """The client API's versioned base (``…/client/v1``) for a ``clientApiUrl`` of a prior session.

    Accepted: a path of ``/client`` or ``/client/v1``, no query, and either the origin of the account's
    ``base_url`` (a simulator or a proxy the operator configured) or https on port 443 on a host of ``hosts``
    (exact, or under a ``*.<domain>`` rule). Everything else is refused before any request.
    """
    parts = _split(url, CLIENT_API_URL_FIELD)
    if parts.query or parts.path not in CLIENT_API_PATHS:
        raise _refused(CLIENT_API_URL_FIELD, "the path must be /client or /client/v1, without a query")
    base = urlsplit(base_url)
    same_origin = (parts.scheme, parts.hostname, _port(parts)) == (base.scheme, base.hostname, _port(base))
    if not same_origin:
        if parts.scheme != "https" or _port(parts) != 443:
            raise _refused(CLIENT_API_URL_FIELD, "must be https on port 443")
        if not host_allowed(parts.hostname or "", hosts):
            raise _refused(CLIENT_API_URL_FIELD, "the host is not a Worldline client API host of this account")
    return _origin(parts) + CLIENT_API_PATHS[1]
