"""The command's customer as MPGS's ``customer``, ``billing.address`` and ``shipping.address``: pure.

MPGS's ``customer`` group has email, names and phones; addresses live in ``billing`` and ``shipping``, with the
country as ISO 3166 alpha-3. MPGS documents both ``customer.phone`` and ``customer.mobilePhone``: the one phone
of our contract goes to ``mobilePhone`` (the number a payer types at checkout, also used for 3-D Secure).
MPGS sessions have no payer id: a command that sets ``customer.id`` is refused before any request.
"""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from contracts.names import ErrorCode
from contracts.providers.mpgs import MpgsAddress, MpgsCustomer
from service.providers.base import ProviderError
from service.providers.mpgs import wire
from service.providers.mpgs.countries import alpha3


def _refused(field: str, message: str) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_COMMAND, message, retryable=False, field=field)


def _country(code: str | UnsetType, field: str) -> str | UnsetType:
    if isinstance(code, UnsetType):
        return UNSET
    converted = alpha3(code)
    if converted is None:
        raise _refused(field, f"{code} is no ISO 3166 country MPGS can take")
    return converted


def _located(address: MpgsAddress | UnsetType, field: str) -> wire.Located | UnsetType:
    if isinstance(address, UnsetType):
        return UNSET
    body = wire.Address(
        street=address.line1,
        street2=address.line2,
        city=address.city,
        postcode_zip=address.postal_code,
        state_province=address.state,
        country=_country(address.country_code, f"{field}.country_code"),
    )
    return UNSET if body == wire.Address() else wire.Located(address=body)


def check_customer(customer: MpgsCustomer | UnsetType | None) -> None:
    """Refuse what MPGS cannot take, before any request."""
    if isinstance(customer, MpgsCustomer) and not isinstance(customer.id, UnsetType):
        raise _refused("customer.id", "MPGS sessions have no payer id: leave customer.id out")


def customer_body(customer: MpgsCustomer | UnsetType | None) -> wire.Customer | UnsetType:
    if not isinstance(customer, MpgsCustomer):
        return UNSET
    body = wire.Customer(
        email=customer.email,
        first_name=customer.first_name,
        last_name=customer.last_name,
        mobile_phone=customer.phone,
    )
    return UNSET if body == wire.Customer() else body


def billing_body(customer: MpgsCustomer | UnsetType | None) -> wire.Located | UnsetType:
    if not isinstance(customer, MpgsCustomer):
        return UNSET
    return _located(customer.billing_address, "customer.billing_address")


def shipping_body(customer: MpgsCustomer | UnsetType | None) -> wire.Located | UnsetType:
    if not isinstance(customer, MpgsCustomer):
        return UNSET
    return _located(customer.shipping_address, "customer.shipping_address")
