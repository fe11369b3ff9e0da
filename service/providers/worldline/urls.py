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


def _registrable_suffix(host: str) -> str | None:
    """The last two DNS labels of a host name (None for IP literals and single-label names)."""
    labels = host.split(".")
    if _is_ip_literal(host) or len(labels) < 2 or not all(labels[-2:]):
        return None
    return ".".join(labels[-2:])


def check_client_api_url(url: str, base_url: str) -> str:
    """Accept a ``clientApiUrl`` only if it ends in ``/client`` and is the server API's origin, or is https
    on port 443 on a host under the same last two DNS labels as the server API's host.

    The two-label rule does not know public suffixes (``co.uk``); configure base URLs on a company domain.
    """
    parts = _split(url, CLIENT_API_URL_FIELD)
    if parts.query or not parts.path.endswith("/client"):
        raise _refused(CLIENT_API_URL_FIELD, "must end with /client and carry no query")
    base = urlsplit(base_url)
    host, base_host = parts.hostname or "", base.hostname or ""
    same_origin = (parts.scheme, host, _port(parts)) == (base.scheme, base_host, _port(base))
    suffix = _registrable_suffix(base_host)
    sibling = (
        parts.scheme == "https"
        and _port(parts) == 443
        and suffix is not None
        and (host == suffix or host.endswith("." + suffix))
    )
    if not (same_origin or sibling):
        raise _refused(CLIENT_API_URL_FIELD, "must be on the configured Worldline API's domain")
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, "", ""))
