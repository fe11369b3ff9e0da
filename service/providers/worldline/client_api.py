"""Where and how to call Worldline's client API for an Apple Pay merchant session. Pure.

The client API takes the credentials of a prior Worldline session: ``POST {clientApiUrl}/v1/{customerId}/
products/302/sessions`` with ``Authorization: GCS v1Client:{clientSessionId}``. A command names all three ids
or none (then the server API is used): naming some would silently drop them, so it is refused.
"""

from __future__ import annotations

import re

from msgspec import Struct

from contracts.names import ErrorCode
from contracts.providers.applepay import ApplePayCreateOptions
from service.providers.base import ProviderError
from service.providers.paths import segment
from service.providers.worldline import WORLDLINE
from service.providers.worldline.transformers import APPLE_PAY_PRODUCT
from service.providers.worldline.urls import check_client_api_url

_TOKEN = re.compile(r"[\x21-\x7e]{1,256}")  # printable ASCII: the client session id goes into a header
CUSTOMER_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # Worldline customer ids ("1234-a6601884..."): a path segment
_IDS = ("client_session_id", "customer_id", "client_api_url")


class ClientApiTarget(Struct, frozen=True, kw_only=True):
    """Where and how to call the client API: a prior Worldline session's URL and credentials."""

    url: str
    authorization: str


def _invalid(field: str, message: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_COMMAND, message, retryable=False, field=field)


def _named(options: ApplePayCreateOptions) -> tuple[str, str, str] | None:
    """The three client API ids, None when the command names none; refused when it names only some."""
    ids = (options.client_session_id, options.customer_id, options.client_api_url)
    given = [name for name, value in zip(_IDS, ids, strict=True) if value is not None]
    missing = [name for name in _IDS if name not in given]
    if given and missing:
        raise _invalid(f"options.{missing[0]}", f"options.{missing[0]} is needed with options.{given[0]}")
    session_id, customer_id, url = ids
    return None if session_id is None or customer_id is None or url is None else (session_id, customer_id, url)


def client_api_target(options: ApplePayCreateOptions, base_url: str, hosts: frozenset[str]) -> ClientApiTarget | None:
    """The client API call when the command names a prior session (all three ids), else None (server API)."""
    named = _named(options)
    if named is None:
        return None
    session_id, customer_id, client_api_url = named
    if not _TOKEN.fullmatch(session_id):  # fullmatch: "$" would let a final newline through
        raise _invalid("options.client_session_id", "options.client_session_id must be printable ASCII without spaces")
    customer = segment(customer_id, "options.customer_id", CUSTOMER_ID, provider=WORLDLINE)
    versioned = check_client_api_url(client_api_url, base_url, hosts)
    path = f"/{customer}/products/{APPLE_PAY_PRODUCT}/sessions"
    return ClientApiTarget(url=versioned + path, authorization=f"GCS v1Client:{session_id}")
