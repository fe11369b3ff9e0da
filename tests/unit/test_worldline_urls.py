"""S3 and SSRF: the Apple Pay validation URL and the client API URL are checked before any request."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.names import ErrorCode
from service.providers.base import ProviderError
from service.providers.worldline import urls

APPLE = urls.shipped_apple_hosts()
START = "/paymentservices/startSession"


def refused(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(ProviderError) as caught:
        call()
    error = caught.value
    assert (error.code, error.retryable, error.field) == (ErrorCode.INVALID_COMMAND, False, field)
    assert error.provider_status is None


def test_shipped_list_is_apples_hosts() -> None:
    text = (Path(urls.__file__).parent / "applepay_domains.txt").read_text()
    assert "apple-pay-gateway.apple.com" in APPLE
    assert "apple-pay-gateway-cert.apple.com" in APPLE
    assert "cn-apple-pay-gateway-tj-pod3.apple.com" in APPLE
    assert len(APPLE) == 20
    assert all(host in text for host in APPLE)
    assert not any(host.startswith("#") for host in APPLE)


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        (f"https://apple-pay-gateway.apple.com{START}", f"https://apple-pay-gateway.apple.com{START}"),
        (f"https://apple-pay-gateway-cert.apple.com{START}", f"https://apple-pay-gateway-cert.apple.com{START}"),
        (f"https://apple-pay-gateway.apple.com:443{START}", f"https://apple-pay-gateway.apple.com{START}"),
        (f"HTTPS://Apple-Pay-Gateway.APPLE.com{START}", f"https://apple-pay-gateway.apple.com{START}"),
        (
            "https://cn-apple-pay-gateway.apple.com/paymentservices/paymentSession?x=1",
            "https://cn-apple-pay-gateway.apple.com/paymentservices/paymentSession?x=1",
        ),
    ],
)
def test_apple_hosts_on_https_443_are_accepted_and_normalised(url: str, sent: str) -> None:
    assert urls.check_validation_url(url, APPLE) == sent


@pytest.mark.parametrize(
    "url",
    [
        f"http://apple-pay-gateway.apple.com{START}",  # not https
        f"https://apple-pay-gateway.apple.com:8443{START}",  # other port
        f"https://apple-pay-gateway.apple.com:80{START}",
        f"https://apple-pay-gateway.apple.com:99999{START}",  # not a port
        f"https://apple-pay-gateway.apple.com.evil.com{START}",  # suffix trick
        f"https://evil-apple-pay-gateway.apple.com{START}",  # not on the list
        f"https://apple.com{START}",
        f"https://evil.com/apple-pay-gateway.apple.com{START}",
        f"https://apple-pay-gateway.apple.com.{START}",  # trailing dot
        f"https://user:pw@apple-pay-gateway.apple.com{START}",  # userinfo
        f"https://apple-pay-gateway.apple.com@evil.com{START}",
        f"https://apple-pay-gateway.apple.com:443@evil.com{START}",
        f"https://apple-pay-gateway.apple.com\\@evil.com{START}",  # backslash: parsers disagree
        f"https://evil.com\\apple-pay-gateway.apple.com{START}",
        f"https://apple-pay-gateway.apple.com{START}#@evil.com",  # fragment
        f"https://17.32.139.128{START}",  # IP literal
        f"https://[::1]{START}",
        f"https://2130706433{START}",
        f"https://apple-pay-gateway%2eapple.com{START}",  # percent-encoded host
        f"https://apple-pay-gateway.apple.com\n.evil.com{START}",  # control character
        f" https://apple-pay-gateway.apple.com{START}",
        f"https://apple-pay-gateway.\u0430pple.com{START}",  # Cyrillic a
        f"https:apple-pay-gateway.apple.com{START}",  # no authority
        f"https:///apple-pay-gateway.apple.com{START}",
        f"//apple-pay-gateway.apple.com{START}",
        f"ftp://apple-pay-gateway.apple.com{START}",
        "not a url",
        "",
    ],
)
def test_everything_else_is_refused_as_invalid_command(url: str) -> None:
    refused(lambda: urls.check_validation_url(url, APPLE), "options.validation_url")


def test_refusal_message_does_not_echo_the_url() -> None:
    with pytest.raises(ProviderError) as caught:
        urls.check_validation_url("https://evil.example/\x1b[31m", APPLE)
    assert "evil" not in caught.value.message
    assert "\x1b" not in caught.value.message


def test_configured_host_list_replaces_the_shipped_one() -> None:
    own = urls.parse_hosts(["# comment", "  Apple-Pay-Gateway.Example.test  ", ""])
    assert own == frozenset({"apple-pay-gateway.example.test"})
    assert urls.check_validation_url(f"https://apple-pay-gateway.example.test{START}", own)
    refused(
        lambda: urls.check_validation_url(f"https://apple-pay-gateway.apple.com{START}", own), "options.validation_url"
    )


BASE = "https://api.preprod.connect.worldline-solutions.com"
HOSTS = urls.shipped_client_api_hosts()
V1 = "/client/v1"


def test_shipped_client_api_hosts() -> None:
    assert "*.connect.worldline-solutions.com" in HOSTS
    assert {"eu.api-ingenico.com", "ams1.api-ingenico.com", "us.api-ingenico.com", "par.api-ingenico.com"} <= HOSTS
    assert {"ams1.preprod.api-ingenico.com", "par-preprod.api-ingenico.com", "eu.sandbox.api-ingenico.com"} <= HOSTS
    assert not any(host.startswith("#") or " " in host for host in HOSTS)


@pytest.mark.parametrize(
    ("url", "base", "sent"),
    [
        (f"{BASE}/client", BASE, f"{BASE}{V1}"),
        (f"{BASE}{V1}", BASE, f"{BASE}{V1}"),
        (f"{BASE}:443/client", BASE, f"{BASE}{V1}"),
        ("https://eu.api-ingenico.com/client", BASE, f"https://eu.api-ingenico.com{V1}"),  # the reference's example
        ("https://EU.api-ingenico.com/client/v1", BASE, f"https://eu.api-ingenico.com{V1}"),
        (
            "https://ams1.preprod.connect.worldline-solutions.com/client",
            BASE,
            f"https://ams1.preprod.connect.worldline-solutions.com{V1}",
        ),
        (
            "https://api.connect.worldline-solutions.com/client",
            "http://127.0.0.1:8080",
            f"https://api.connect.worldline-solutions.com{V1}",
        ),
        ("https://par-preprod.api-ingenico.com/client/v1", BASE, f"https://par-preprod.api-ingenico.com{V1}"),
        ("http://127.0.0.1:8080/client", "http://127.0.0.1:8080", f"http://127.0.0.1:8080{V1}"),  # same origin
        ("http://localhost:8080/client/v1", "http://localhost:8080/", f"http://localhost:8080{V1}"),
    ],
)
def test_client_api_url_on_a_documented_host_or_the_base_origin_is_accepted(url: str, base: str, sent: str) -> None:
    assert urls.check_client_api_url(url, base, HOSTS) == sent


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://evil.com/client", BASE),
        ("https://worldline-solutions.com/client", BASE),  # no longer: the last-two-labels rule is gone
        ("https://eu.api.worldline-solutions.com/client", BASE),  # not under connect.worldline-solutions.com
        ("https://connect.worldline-solutions.com/client", BASE),  # "*." needs a label in front
        ("https://x.connect.worldline-solutions.com.evil.com/client", BASE),
        ("https://evilconnect.worldline-solutions.com/client", BASE),
        ("https://x..connect.worldline-solutions.com/client", BASE),
        ("https://api-ingenico.com/client", BASE),
        ("https://eu.api-ingenico.com./client", BASE),  # trailing dot
        ("https://eu.api-ingenico.com%2eevil.com/client", BASE),
        ("https://ams1.sandbox.api-worldline.com/client/v1", BASE),  # SDK test fixtures only
        ("http://eu.api-ingenico.com/client", BASE),  # must be https
        ("https://eu.api-ingenico.com:8443/client", BASE),  # and port 443
        ("http://ams1.preprod.connect.worldline-solutions.com/client", BASE),
        (f"{BASE}/client/", BASE),  # the path is /client or /client/v1 exactly
        (f"{BASE}/clientx", BASE),
        (f"{BASE}/client/v2", BASE),
        (f"{BASE}/client/v1/", BASE),
        (f"{BASE}/v2/client", BASE),
        (f"{BASE}/", BASE),
        (f"{BASE}/client?x=1", BASE),
        (f"{BASE}/client#x", BASE),
        ("https://user@api.preprod.connect.worldline-solutions.com/client", BASE),
        ("https://api.preprod.connect.worldline-solutions.com@evil.com/client", BASE),
        ("https://eu.api-ingenico.com@evil.com/client", BASE),
        ("https://10.0.0.1/client", BASE),
        ("https://[::1]/client", BASE),
        ("http://127.0.0.1:9999/client", "http://127.0.0.1:8080"),  # same host, other port
        ("http://127.0.0.2:8080/client", "http://127.0.0.1:8080"),  # IP base: exact origin only
        ("https://0.1/client", "http://127.0.0.1:8080"),
        ("https://evil.localhost/client", "http://localhost:8080"),
        ("https://169.254.169.254/client", "http://localhost:8080"),
    ],
)
def test_client_api_url_elsewhere_is_refused(url: str, base: str) -> None:
    refused(lambda: urls.check_client_api_url(url, base, HOSTS), "options.client_api_url")


def test_an_accounts_own_host_list_replaces_the_shipped_one() -> None:
    own = urls.parse_hosts(["ams1.sandbox.api-worldline.com", "*.example.test"])
    sent = urls.check_client_api_url("https://ams1.sandbox.api-worldline.com/client/v1", BASE, own)
    assert sent == f"https://ams1.sandbox.api-worldline.com{V1}"
    assert urls.check_client_api_url("https://a.b.example.test/client", BASE, own) == f"https://a.b.example.test{V1}"
    refused(
        lambda: urls.check_client_api_url("https://eu.api-ingenico.com/client", BASE, own), "options.client_api_url"
    )
    assert urls.check_client_api_url(f"{BASE}/client", BASE, own) == f"{BASE}{V1}"  # the base origin stays allowed
