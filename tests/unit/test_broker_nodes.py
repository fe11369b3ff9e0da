"""Broker addresses naming several nodes (contracts.nodes): examples, then properties over generated addresses.

Witnesses: the host-list form is the one RabbitMQ's own clients and docs use for a cluster ("a list of
hostnames", RabbitMQ docs, Clustering and Client Connections); the default ports 5672/5671 are IANA's for
amqp/amqps (RabbitMQ docs, Networking).
"""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from yarl import URL

from contracts.nodes import BrokerAddressError, ClusterConnection, masked, node_urls
from service.settings import SettingsError, settings_from_mapping


@pytest.mark.parametrize(
    ("address", "nodes"),
    [
        ("amqp://guest:guest@127.0.0.1:5672/", ["amqp://guest:guest@127.0.0.1:5672/"]),
        (
            "amqp://svc:pw@rabbit-0,rabbit-1:5673,rabbit-2/orders?heartbeat=10",
            [
                "amqp://svc:pw@rabbit-0:5672/orders?heartbeat=10",
                "amqp://svc:pw@rabbit-1:5673/orders?heartbeat=10",
                "amqp://svc:pw@rabbit-2:5672/orders?heartbeat=10",
            ],
        ),
        ("amqps://svc:pw@a, b/", ["amqps://svc:pw@a:5671/", "amqps://svc:pw@b:5671/"]),
        ("amqp://u:p@a/v, amqp://u:p@b:1/v", ["amqp://u:p@a:5672/v", "amqp://u:p@b:1/v"]),
        ("amqp://u:p@[::1]:5672,[fe80::2]/", ["amqp://u:p@[::1]:5672/", "amqp://u:p@[fe80::2]:5672/"]),
        ("amqp://u:p%2Fw%40x@h1,h2/%2F", ["amqp://u:p%2Fw%40x@h1:5672/%2F", "amqp://u:p%2Fw%40x@h2:5672/%2F"]),
    ],
)
def test_addresses(address: str, nodes: list[str]) -> None:
    assert [str(url) for url in node_urls(address)] == nodes


@pytest.mark.parametrize(
    "address",
    ["http://a/", "amqp://", "amqp://a,,b/", "amqp://a,/", "amqp://u:p@h:port/", "amqp://a/ amqps://b/", "rabbit-0"],
)
def test_unreadable_addresses(address: str) -> None:
    with pytest.raises(BrokerAddressError):
        node_urls(address)


def test_masked_keeps_user_and_hosts_never_the_password() -> None:
    nodes = node_urls("amqp://svc:hunter2@rabbit-0,rabbit-1:5673/orders")
    assert masked(nodes) == "amqp://svc:***@rabbit-0:5672,rabbit-1:5673/orders"


def test_settings_read_a_host_list_and_refuse_a_bad_one_without_the_password() -> None:
    settings = settings_from_mapping({"broker": {"url": "amqp://svc:hunter2@a,b,c/v"}}, {})
    assert [url.host for url in settings.broker.nodes] == ["a", "b", "c"]
    assert settings.broker.where == "amqp://svc:***@a:5672,b:5672,c:5672/v"
    env = settings_from_mapping({}, {"AMQP_URL": "amqp://svc:hunter2@x,y/"})  # the environment takes a list too
    assert [url.host for url in env.broker.nodes] == ["x", "y"]
    with pytest.raises(SettingsError) as refused:
        settings_from_mapping({"broker": {"url": "amqp://svc:hunt/er2@a,b/"}}, {})
    assert "hunt" not in str(refused.value) and "broker" in str(refused.value)


async def test_each_connection_attempt_goes_to_the_next_node() -> None:  # aio-pika wants a running loop
    nodes = node_urls("amqp://u:p@a,b,c/")
    connection = ClusterConnection(nodes[0], nodes=nodes, start=1)
    assert [connection.url.host for _ in range(4)] == ["b", "c", "a", "b"]  # aio-pika reads url once per attempt
    assert "p@" not in str(connection) and str(connection) == "amqp://u:***@b:5672/"


# --- properties -----------------------------------------------------------------------------------------------

_label = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
_host = st.one_of(
    st.lists(_label, min_size=1, max_size=3).map(".".join),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda parts: ".".join(map(str, parts))),
)
_node = st.tuples(_host, st.none() | st.integers(1, 65535))
_password = st.text(min_size=1, max_size=20).map(lambda text: "Pw9!" + text)  # a marker no host holds


@given(
    scheme=st.sampled_from(["amqp", "amqps"]),
    user=_label,
    password=_password,
    nodes=st.lists(_node, min_size=1, max_size=5),
    vhost=st.text(max_size=10),
)
def test_a_host_list_is_read_back_node_by_node(
    scheme: str, user: str, password: str, nodes: list[tuple[str, int | None]], vhost: str
) -> None:
    quoted = URL.build(scheme=scheme, user=user, password=password, host="h", path="/" + vhost)
    userinfo = f"{quoted.raw_user}:{quoted.raw_password}@"
    hosts = ",".join(host if port is None else f"{host}:{port}" for host, port in nodes)
    urls = node_urls(f"{scheme}://{userinfo}{hosts}{quoted.raw_path}")
    default = 5671 if scheme == "amqps" else 5672
    assert [(url.host, url.port) for url in urls] == [(host, port or default) for host, port in nodes]
    assert {(url.user, url.password, url.path) for url in urls} == {(user, password, "/" + vhost)}
    assert password not in masked(urls)


@example(tail="://")  # found by hypothesis: endless recursion on a second "://" that starts no URL
@given(st.text(max_size=60))
def test_any_text_is_nodes_or_one_clear_error_without_the_password(tail: str) -> None:
    address = "amqp://svc:Sekr3tPw" + tail
    try:
        urls = node_urls(address)
    except BrokerAddressError as exc:
        refusal = str(exc)
        urls = ()
    else:
        refusal = masked(urls)
    assert "Sekr3tPw" not in refusal
