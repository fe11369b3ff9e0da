"""Several RabbitMQ nodes behind one connection: the addresses of a cluster, and a robust connection that
moves to a live node when its node dies.

An address is written as one URL with a host list, ``amqp://user:pass@rabbit-0:5672,rabbit-1,rabbit-2/vhost``
(every host shares the credentials, vhost and query; a host without a port has the scheme's: 5672, amqps 5671),
or as several whole URLs separated by commas or spaces. One plain URL is a one-node list.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from yarl import URL

_PORTS = {"amqp": 5672, "amqps": 5671}
_SCHEMES = tuple(_PORTS)
_WHOLE_URLS = re.compile(r"[\s,]+(?=amqps?://)", re.IGNORECASE)


RECONNECT_INTERVAL = 1.0  # seconds between connection attempts once connected to a cluster


class BrokerAddressError(ValueError):
    """The broker address cannot be read; the message never holds the password."""


def node_urls(address: str) -> tuple[URL, ...]:
    """The nodes ``address`` names, in the order written."""
    text = address.strip()
    parts = [part.strip(" ,") for part in _WHOLE_URLS.split(text) if part.strip(" ,")]
    if len(parts) > 1:  # whole URLs; a "://" that starts no URL (in a password, say) stays in its part
        urls = tuple(url for part in parts for url in node_urls(part))
        if len({url.scheme for url in urls}) > 1:
            raise BrokerAddressError("broker address: mixes amqp:// and amqps:// nodes")
        return urls
    scheme, separator, rest = text.partition("://")
    if not separator or scheme.lower() not in _SCHEMES:
        raise BrokerAddressError("broker address: expected amqp://… or amqps://…")
    authority_end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, tail = rest[:authority_end], rest[authority_end:]
    userinfo, at, hosts = authority.rpartition("@")
    prefix = f"{scheme.lower()}://{userinfo}{at}"
    default_port = _PORTS[scheme.lower()]
    nodes: list[URL] = []
    for number, host in enumerate(_hosts(hosts), 1):
        try:
            url = URL(prefix + host + tail)
            port = url.explicit_port
        except ValueError:  # the text is not echoed: a password with an unescaped "/" would end up in it
            raise BrokerAddressError(
                f"broker address: cannot read host {number} (escape / @ : in the password as %2F %40 %3A)"
            ) from None
        if not url.host:
            raise BrokerAddressError("broker address: a host is empty")
        nodes.append(url if port is not None else url.with_port(default_port))
    return tuple(nodes)


def _hosts(hosts: str) -> list[str]:
    """``a:1,b,[::1]:5672`` split on the commas outside brackets (IPv6 literals hold colons, never commas)."""
    compact = re.sub(r"\s", "", hosts)
    parts = re.findall(r"\[[^\]]*\](?::\d*)?|[^,\[]+", compact)
    if not parts or ",".join(parts) != compact:
        raise BrokerAddressError("broker address: a host is empty or unreadable")
    return parts


def masked(urls: Sequence[URL]) -> str:
    """The nodes as one address for a log line or an error, the password replaced by ``***``:
    ``amqp://svc:***@rabbit-0:5672,rabbit-1:5672/vhost``."""
    first = urls[0]
    user = f"{first.user}:***@" if first.password is not None else f"{first.user}@" if first.user else ""
    hosts = ",".join(
        f"[{url.host}]:{url.port}" if ":" in (url.host or "") else f"{url.host}:{url.port}" for url in urls
    )
    return f"{first.scheme}://{user}{hosts}{first.raw_path}"


class ClusterConnection(aio_pika.RobustConnection):
    """aio-pika's robust connection (channels, queues and consumers restored after a loss), where every
    connection attempt goes to the next node in turn: the first attempt to a random node, so replicas spread
    over the cluster, and each reconnect after the node died or refused to the next one.

    aio-pika reads ``url`` exactly once per connection attempt (``Connection.connect``); that read is where the
    turn advances. tests/integration/test_broker_nodes.py holds this to the installed aio-pika."""

    def __init__(self, url: URL, *, nodes: Sequence[URL] = (), start: int | None = None, **kwargs: Any) -> None:
        self._nodes = tuple(nodes) or (URL(url),)
        self._turn = 0
        super().__init__(url, **kwargs)  # reads url once, for its query (the same on every node)
        first = random.randrange(len(self._nodes)) if start is None else start % len(self._nodes)  # noqa: S311
        self._turn = first - 1  # the first attempt's read advances to ``first``
        self._current = self._nodes[first]

    @property
    def url(self) -> URL:
        self._turn = (self._turn + 1) % len(self._nodes)
        self._current = self._nodes[self._turn]
        return self._current

    @url.setter
    def url(self, value: URL) -> None:  # aio-pika sets it in __init__ (the nodes are already known)
        pass

    @property
    def node(self) -> URL:
        """The node of the current (or last) connection attempt."""
        return self._current

    def __str__(self) -> str:
        return masked([self._current])


async def connect_nodes(
    address: str | Sequence[URL], *, start: int | None = None, **kwargs: Any
) -> AbstractRobustConnection:
    """``aio_pika.connect_robust`` over the nodes of ``address``; ``kwargs`` as for it (ssl_context,
    client_properties, timeout, …). Raises what the first attempt raised, like ``connect_robust``."""
    nodes = node_urls(address) if isinstance(address, str) else tuple(address)
    if len(nodes) > 1:  # a dead node costs one interval before the next is tried (aio-pika's default: 5 s)
        kwargs.setdefault("reconnect_interval", RECONNECT_INTERVAL)
    connection = ClusterConnection(nodes[0], nodes=nodes, start=start, **_without_none(kwargs))
    timeout = kwargs.get("timeout")
    await connection.connect(timeout=timeout)
    return connection


def _without_none(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in kwargs.items() if value is not None and key != "timeout"}
