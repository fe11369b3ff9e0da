"""S8: no credential survives into an event. ``scrub`` (every ``ProviderError`` message) masks credentials it
can recognise by shape; ``redact`` (every non-2xx body, in ``ProviderHttp``) removes the exact credentials of
the request and the account in every form an echo may take. Hypothesis generates the secrets and the text
around them."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote

import msgspec
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from contracts.names import ErrorCode
from service.providers.base import MAX_MESSAGE, ProviderError, scrub
from service.providers.redaction import redact, request_credentials

TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
VALUE_CHARS = TOKEN_CHARS + ":!@#$^()|?"  # no separator (space , ; &), quote, bracket or the mask's '*'
KEYS = ["api_key", "x-api-key", "app_key", "password", "secret", "token", "access_token", "authorization", "aes256Key"]

tokens = st.text(TOKEN_CHARS, min_size=8, max_size=64)
values = st.text(VALUE_CHARS, min_size=8, max_size=64)
any_secret = st.text(st.characters(blacklist_characters="*", blacklist_categories=("Cs",)), min_size=6, max_size=40)
around = st.text(max_size=80)
keys = st.sampled_from(KEYS).flatmap(lambda key: st.sampled_from([key, key.upper(), key.title()]))


def scrubbed(prefix: str, credential: str, suffix: str) -> str:
    return scrub(f"{prefix} {credential} {suffix}")


@given(user=st.text(TOKEN_CHARS, max_size=20), password=values, prefix=around, suffix=around)
def test_basic_credentials_never_survive(user: str, password: str, prefix: str, suffix: str) -> None:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    assume(encoded not in prefix + suffix)
    for credential in (f"Basic {encoded}", f"Authorization: Basic {encoded}", f'"authorization": "Basic {encoded}"'):
        assert encoded not in scrubbed(prefix, credential, suffix)


@given(token=tokens, prefix=around, suffix=around)
def test_bearer_tokens_and_worldline_credentials_never_survive(token: str, prefix: str, suffix: str) -> None:
    assume(token not in prefix + suffix)
    for credential in (f"Bearer {token}", f"bearer {token}", f"GCS v1HMAC:key-1:{token}", f"GCS v1Client:{token}"):
        assert token not in scrubbed(prefix, credential, suffix)


@given(key=keys, value=values, prefix=around, suffix=around, separator=st.sampled_from([": ", "=", " = ", ":"]))
def test_values_of_secret_looking_keys_never_survive(
    key: str, value: str, prefix: str, suffix: str, separator: str
) -> None:
    assume(value not in prefix + suffix)
    assert value not in scrubbed(prefix, f"{key}{separator}{value}", suffix)


@given(key=keys, secret=any_secret, prefix=around, suffix=around)
def test_json_values_of_secret_looking_keys_never_survive(key: str, secret: str, prefix: str, suffix: str) -> None:
    escaped = json.dumps(secret)
    assume(secret not in prefix + suffix + key and escaped[1:-1] not in prefix + suffix)
    for pair in (f'"{key}": {escaped}', f"{{{json.dumps(key)}:{escaped}}}", f"'{key}': {escaped}"):
        text = scrubbed(prefix, pair, suffix)
        assert secret not in text and escaped[1:-1] not in text
    nested = json.dumps(json.dumps({key: secret}))[1:-1]  # a request body quoted inside a JSON string
    assert secret not in scrubbed(prefix, nested, suffix)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Basic bWVyY2hhbnQuTTE6cGFzcw==", "Authorization: ***"),
        ("invalid header Bearer eyJhbGciOi.J9x-_y", "invalid header Bearer ***"),
        ("GCS v1HMAC:key-1:c2lnbmF0dXJl+/= refused", "GCS v1HMAC:*** refused"),
        ('{"app_key":"k\\"ey","app_id":"a"}', '{"app_key":"***","app_id":"a"}'),
        ("x-api-key=abc&y=1", "x-api-key=***&y=1"),
        ("card 4000 0566 5566 5556 refused", "card *** refused"),
        ("line\nforged\x1b[31m\u2028", "line\\x0aforged\\x1b[31m\\u2028"),
        ("The token is invalid", "The token is invalid"),  # words stay
    ],
)
def test_examples(text: str, expected: str) -> None:
    assert scrub(text) == expected


@given(text=st.text(max_size=2000))
def test_no_control_character_and_at_most_the_cap(text: str) -> None:
    result = scrub(text)
    assert len(result) <= MAX_MESSAGE
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in result)


def test_every_provider_error_message_is_scrubbed_also_when_replaced() -> None:
    error = ProviderError(ErrorCode.VALIDATION_FAILED, "echo: Bearer abcdefgh12345678 " + "x" * 400, retryable=False)
    assert error.message.startswith("echo: Bearer ***") and len(error.message) == MAX_MESSAGE
    assert error.args == (error.message,) and "abcdefgh12345678" not in repr(error)
    error.message = "login failed: password=hunter22"
    assert error.message == "login failed: password=***" and error.args == (error.message,)


# --- redact: exact credentials out of the raw error body ------------------------------------------------


def forms(secret: str) -> list[str]:
    once = json.dumps(secret)[1:-1]
    return [
        secret,
        msgspec.json.encode(secret)[1:-1].decode(),
        once,
        json.dumps(once)[1:-1],
        once.replace("/", "\\/"),
        html.escape(secret),
        quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
    ]


@given(secret=any_secret, prefix=around, suffix=around, index=st.integers(0, 7))
def test_redact_removes_every_form_of_a_secret(secret: str, prefix: str, suffix: str, index: int) -> None:
    form = forms(secret)[index]
    assume(secret not in prefix + suffix and form not in prefix + suffix)
    body = redact(f"{prefix}{form}{suffix}".encode(), [secret])
    assert form.encode() not in body and secret.encode() not in body


@given(secret=any_secret, other=any_secret, prefix=around)
def test_a_secret_echoed_in_a_json_error_is_gone_once_decoded(secret: str, other: str, prefix: str) -> None:
    """What a transformer reads: the JSON error decoded, with the request body quoted inside it."""
    assume(secret not in prefix + other)
    request_body = json.dumps({"app_key": secret, "note": other})
    for ensure_ascii in (True, False):
        body = json.dumps({"error": {"description": prefix + request_body}}, ensure_ascii=ensure_ascii).encode()
        decoded = msgspec.json.decode(redact(body, [secret]))["error"]["description"]
        assert secret not in decoded


@given(user=st.text(TOKEN_CHARS, min_size=1, max_size=20), password=any_secret, token=tokens)
def test_request_credentials_cover_basic_parts_and_bearer_tokens(user: str, password: str, token: str) -> None:
    assume("application/json" not in (token, password))  # a credential equal to the Accept value is masked, rightly
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "X-Access-Token": f"Bearer {token}", "Accept": "application/json"}
    found = request_credentials(headers)
    assert {f"Basic {basic}", basic, f"{user}:{password}", password, token} <= set(found)
    assert "application/json" not in found
    echoed = f"{headers} {user}:{password} {password} {token} {basic}".encode()
    body = redact(echoed, found)
    assert all(part.encode() not in body for part in (password, token, basic))
