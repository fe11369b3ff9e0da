"""Our Acquired customer in Acquired's shape (its "customer" object): pure, shared by create and update.

Create types use ``None`` for "not given" and update types ``UNSET``; both become ``UNSET`` (left out) here.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from contracts.names import ErrorCode
from contracts.providers.acquired import (
    AcquiredAddress,
    AcquiredAddressChange,
    AcquiredCustomer,
    AcquiredCustomerChange,
    AcquiredPhone,
)
from service.providers.acquired import wire
from service.providers.base import ProviderError

T = TypeVar("T")
US = "US"  # Acquired's ``state`` is an ISO 3166-2 code for US addresses only

_json = msgspec.json.Encoder()


def invalid_command(field: str, message: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_COMMAND, message, retryable=False, field=field)


def given(value: T | UnsetType | None) -> T | UnsetType:
    return UNSET if value is None else value


def custom_data(data: dict[str, Any]) -> str:
    """Free data as Acquired's ``custom_data``: base64 of its compact JSON (Acquired documents base64)."""
    return base64.b64encode(_json.encode(data)).decode("ascii")


def _address(address: AcquiredAddress | AcquiredAddressChange | UnsetType | None, where: str) -> Any:
    if address is None or isinstance(address, UnsetType):
        return UNSET
    state = given(address.state)
    if not isinstance(state, UnsetType) and address.country_code != US:
        raise invalid_command(f"customer.{where}.state", "Acquired takes a state only with country_code US")
    mapped = wire.Address(
        line_1=given(address.line1),
        line_2=given(address.line2),
        city=given(address.city),
        state=state,
        postcode=given(address.postal_code),
        country_code=given(address.country_code),
    )
    return UNSET if mapped == wire.Address() else mapped


def _phone(phone: AcquiredPhone | UnsetType | None) -> wire.Phone | UnsetType:
    if phone is None or isinstance(phone, UnsetType):
        return UNSET
    return wire.Phone(country_code=phone.country_code, number=phone.number)


def _dob(dob: date | UnsetType | None) -> str | UnsetType:
    return UNSET if dob is None or isinstance(dob, UnsetType) else dob.isoformat()


def _custom_data(data: dict[str, Any] | UnsetType | None) -> str | UnsetType:
    return UNSET if data is None or isinstance(data, UnsetType) else custom_data(data)


def to_customer(customer: AcquiredCustomer | AcquiredCustomerChange) -> wire.Customer | UnsetType:
    """Email and phone go to ``billing`` (Acquired has them per address; ours are the shopper's)."""
    billing = wire.Billing(
        address=_address(customer.billing_address, "billing_address"),
        email=given(customer.email),
        phone=_phone(customer.phone),
    )
    shipping = wire.Shipping(address=_address(customer.shipping_address, "shipping_address"))
    mapped = wire.Customer(
        customer_id=given(customer.customer_id),
        reference=given(customer.id),  # the merchant's own customer reference
        first_name=given(customer.first_name),
        last_name=given(customer.last_name),
        dob=_dob(customer.dob),
        ip=given(customer.ip),
        custom_data=_custom_data(customer.custom_data),
        billing=UNSET if billing == wire.Billing() else billing,
        shipping=UNSET if shipping == wire.Shipping() else shipping,
    )
    return UNSET if mapped == wire.Customer() else mapped
