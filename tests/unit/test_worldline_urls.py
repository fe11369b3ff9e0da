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


@pytest.mark.parametrize(
    ("url", "base"),
    [
        (f"{BASE}/client", BASE),
        (f"{BASE}:443/client", BASE),
        ("https://ams1.preprod.connect.worldline-solutions.com/client", BASE),
        ("https://worldline-solutions.com/client", BASE),
        ("https://eu.api.worldline-solutions.com/v2/client", BASE + "/"),
        ("http://127.0.0.1:8080/client", "http://127.0.0.1:8080"),
        ("http://localhost:8080/client", "http://localhost:8080"),
    ],
)
def test_client_api_url_on_the_configured_domain_is_accepted(url: str, base: str) -> None:
    assert urls.check_client_api_url(url, base) == url


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://evil.com/client", BASE),
        ("https://worldline-solutions.com.evil.com/client", BASE),
        ("https://evilworldline-solutions.com/client", BASE),
        ("http://ams1.preprod.connect.worldline-solutions.com/client", BASE),  # sibling must be https
        ("https://ams1.preprod.connect.worldline-solutions.com:8443/client", BASE),  # and port 443
        (f"{BASE}/client/", BASE),  # must end with /client
        (f"{BASE}/clientx", BASE),
        (f"{BASE}/client?x=1", BASE),
        (f"{BASE}/client#x", BASE),
        ("https://user@api.preprod.connect.worldline-solutions.com/client", BASE),
        ("https://api.preprod.connect.worldline-solutions.com@evil.com/client", BASE),
        ("https://10.0.0.1/client", BASE),
        ("http://127.0.0.1:9999/client", "http://127.0.0.1:8080"),  # same host, other port
        ("http://127.0.0.2:8080/client", "http://127.0.0.1:8080"),  # IP base: exact origin only
        ("https://0.1/client", "http://127.0.0.1:8080"),
        ("https://evil.localhost/client", "http://localhost:8080"),
        ("https://169.254.169.254/client", "http://localhost:8080"),
    ],
)
def test_client_api_url_elsewhere_is_refused(url: str, base: str) -> None:
    refused(lambda: urls.check_client_api_url(url, base), "options.client_api_url")
