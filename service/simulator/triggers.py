"""Magic values that make the simulator misbehave on purpose, like real sandboxes' magic amounts.

For providers whose calls carry an amount, the amount in minor units selects the fault (400.00 gives an
HTTP 400, and so on). Providers without an amount use the trigger words documented in their module.
``40001`` / ``sim-echo`` answers 400 with an error message that quotes the request back, credentials included,
as a reflecting WAF does: the service must redact them.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct


class Fault(Struct, frozen=True):
    kind: Literal["status", "hang", "garbage", "reset"]
    status: int = 200
    html: bool = False  # the error body is an HTML page (a CDN or load balancer), not the provider's JSON
    echo: bool = False  # the error message quotes the request back, credentials included (a reflecting WAF)


FAULTS_BY_AMOUNT: dict[int, Fault] = {
    40000: Fault("status", 400),
    40001: Fault("status", 400, echo=True),
    40100: Fault("status", 401),
    40300: Fault("status", 403, html=True),
    40400: Fault("status", 404),
    40900: Fault("status", 409),
    42900: Fault("status", 429),
    50000: Fault("status", 500),
    50200: Fault("status", 502, html=True),
    50300: Fault("status", 503),
    59000: Fault("hang"),
    59100: Fault("garbage"),
    59200: Fault("reset"),
}

FAULTS_BY_WORD: dict[str, Fault] = {
    "sim-400": FAULTS_BY_AMOUNT[40000],
    "sim-echo": FAULTS_BY_AMOUNT[40001],
    "sim-401": FAULTS_BY_AMOUNT[40100],
    "sim-403": FAULTS_BY_AMOUNT[40300],
    "sim-404": FAULTS_BY_AMOUNT[40400],
    "sim-409": FAULTS_BY_AMOUNT[40900],
    "sim-429": FAULTS_BY_AMOUNT[42900],
    "sim-500": FAULTS_BY_AMOUNT[50000],
    "sim-502": FAULTS_BY_AMOUNT[50200],
    "sim-503": FAULTS_BY_AMOUNT[50300],
    "sim-timeout": FAULTS_BY_AMOUNT[59000],
    "sim-garbage": FAULTS_BY_AMOUNT[59100],
    "sim-reset": FAULTS_BY_AMOUNT[59200],
}

HTML_ERROR_PAGE = b"<html><head><title>Error</title></head><body><h1>Request blocked</h1></body></html>"


def fault_for_amount(amount: object) -> Fault | None:
    return FAULTS_BY_AMOUNT.get(amount) if isinstance(amount, int) and not isinstance(amount, bool) else None


def fault_for_word(*values: object) -> Fault | None:
    for value in values:
        if isinstance(value, str) and value in FAULTS_BY_WORD:
            return FAULTS_BY_WORD[value]
    return None
