"""Credentials taken out of a provider's error body before anything reads it (S8). Pure functions.

A provider, CDN or WAF that echoes the request puts our credentials into its error text, and that text is
broadcast in ``session.failed``. So every credential the request carried, and every secret of the account,
is replaced with ``***`` in the raw body, in each form an echo may take (as sent, JSON-escaped, HTML-escaped,
percent-encoded, base64).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

import msgspec

MASK = b"***"
_CREDENTIAL_HEADER = re.compile(r"auth|api-?key|app-?key|secret|token|password|signature|cookie", re.IGNORECASE)


def _basic_parts(token: str) -> list[str]:
    """``user:password`` and ``password`` of a Basic token (nothing when it does not decode)."""
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return []
    password = decoded.partition(":")[2]
    return [decoded, password]


def _header_credentials(value: str) -> list[str]:
    """The whole value, the part after the scheme, and what a Basic, Bearer or GCS value holds."""
    scheme, _, token = value.strip().partition(" ")
    found = [value, token.strip()]
    if scheme.lower() == "basic":
        found += _basic_parts(token.strip())
    elif scheme.upper() == "GCS":
        found.append(token.rpartition(":")[2])  # the v1HMAC signature, the v1Client session id
    return found


def request_credentials(headers: Mapping[str, str]) -> list[str]:
    """Every credential the request carries: values of Authorization, X-Api-Key and any header whose name
    looks like a credential, and their parts (Basic user:password and password, Bearer token, GCS value)."""
    found: list[str] = []
    for name, value in headers.items():
        if _CREDENTIAL_HEADER.search(name):
            found += _header_credentials(value)
    return found


def _json_escaped(text: str) -> list[str]:
    """``text`` inside a JSON string, as different encoders write it (UTF-8 or ``\\u`` escapes, ``\\/``)."""
    plain = msgspec.json.encode(text)[1:-1].decode("utf-8")
    ascii_only = json.dumps(text)[1:-1]
    return [plain, ascii_only, ascii_only.replace("/", "\\/")]


def _forms(secret: str) -> set[bytes]:
    """The secret as sent, JSON-escaped once and twice (the request body quoted inside a JSON error string),
    HTML-escaped, percent-encoded and base64-encoded."""
    texts = {secret, *_json_escaped(secret)}
    texts |= {twice for once in texts for twice in _json_escaped(once)}
    texts |= {html.escape(secret), quote(secret, safe="")}
    return {text.encode("utf-8") for text in texts} | {base64.b64encode(secret.encode("utf-8"))}


def redact(body: bytes, secrets: Iterable[str]) -> bytes:
    """``body`` with every form of every non-empty secret replaced by ``***``, longest first (so a secret that
    contains another is masked whole)."""
    forms = {form for secret in secrets if secret for form in _forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        if form:
            body = body.replace(form, MASK)
    return body
