"""The parts of a Primer request, pure: customer, addresses, order (line items, fees, shipping), payment method.

One mapping serves both operations. In a create command ``None`` means "not given" and is left out; in an update
``UNSET`` is left out (unchanged at Primer) and ``None`` is sent as ``null`` (cleared at Primer). Keyword names
are shared with the wire Structs, so a field our contract has and the wire lacks fails loudly, never silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET, Struct, UnsetType

from contracts.providers.primer import (
    PrimerAddress,
    PrimerAddressChange,
    PrimerCreateOptions,
    PrimerCustomer,
    PrimerCustomerChange,
    PrimerFee,
    PrimerLineItem,
    PrimerMethodOptions,
    PrimerPaymentMethod,
    PrimerPaymentMethodChange,
    PrimerShipping,
    PrimerUpdateOptions,
)
from contracts.providers.primer_parts import PrimerSurcharge
from service.providers.primer import wire

T = TypeVar("T")
Names = tuple[str | None, str | None]


def sent(value: Any, *, patch: bool) -> Any:
    """What goes on the wire: a create's ``None`` is left out; an update's ``UNSET`` too, its ``None`` is null."""
    return UNSET if value is None and not patch else value


def nested(value: Any, convert: Callable[[Any], T], *, patch: bool) -> T | UnsetType | None:
    return sent(value, patch=patch) if value is None or value is UNSET else convert(value)


def given(struct: Struct) -> dict[str, Any]:
    """The fields of a create-side Struct that were given (not ``None``), by name."""
    return {name: value for name, value in msgspec.structs.asdict(struct).items() if value is not None}


def address(value: PrimerAddress | PrimerAddressChange, *, patch: bool, names: Names = (None, None)) -> wire.Address:
    """``names``: the customer's, for a created address that gives none of its own."""
    first = names[0] if value.first_name is None and not patch else value.first_name
    last = names[1] if value.last_name is None and not patch else value.last_name
    return wire.Address(
        first_name=sent(first, patch=patch),
        last_name=sent(last, patch=patch),
        address_line1=sent(value.line1, patch=patch),
        address_line2=sent(value.line2, patch=patch),
        city=sent(value.city, patch=patch),
        state=sent(value.state, patch=patch),
        postal_code=sent(value.postal_code, patch=patch),
        country_code=sent(value.country_code, patch=patch),
    )


def customer(value: PrimerCustomer | PrimerCustomerChange, *, patch: bool) -> wire.Customer | UnsetType:
    """Primer's ``customer`` object (``id`` goes to the top-level ``customerId``); left out when it would be empty."""
    names: Names = (value.first_name, value.last_name) if isinstance(value, PrimerCustomer) else (None, None)
    built = wire.Customer(
        email_address=sent(value.email, patch=patch),
        mobile_number=sent(value.phone, patch=patch),
        first_name=sent(value.first_name, patch=patch),
        last_name=sent(value.last_name, patch=patch),
        tax_id=sent(value.tax_id, patch=patch),
        national_document_id=sent(value.national_document_id, patch=patch),
        billing_address=nested(value.billing_address, lambda a: address(a, patch=patch, names=names), patch=patch),
        shipping_address=nested(value.shipping_address, lambda a: address(a, patch=patch, names=names), patch=patch),
    )
    return UNSET if built == wire.Customer() else built


def line_item(item: PrimerLineItem) -> wire.LineItem:
    fields = given(item)
    if item.product_data is not None:
        fields["product_data"] = wire.ProductData(**given(item.product_data))
    return wire.LineItem(**fields)


def fee(value: PrimerFee) -> wire.Fee:
    return wire.Fee(**given(value))


def shipping(value: PrimerShipping) -> wire.Shipping:
    return wire.Shipping(**given(value))


def _surcharge(value: PrimerSurcharge | None) -> wire.Surcharge | UnsetType:
    return UNSET if value is None else wire.Surcharge(amount=value.amount)


def _method_options(value: PrimerMethodOptions) -> wire.MethodOptions:
    fields = given(value)
    fields["surcharge"] = _surcharge(value.surcharge)
    if value.networks is not None:
        fields["networks"] = {
            network: wire.NetworkOptions(surcharge=_surcharge(options.surcharge))
            for network, options in value.networks.items()
        }
    return wire.MethodOptions(**fields)


def payment_method(value: PrimerPaymentMethod) -> wire.PaymentMethod:
    fields = given(value)
    if value.options is not None:
        fields["options"] = {kind: _method_options(o) for kind, o in value.options.items()}
    return wire.PaymentMethod(**fields)


def payment_method_change(value: PrimerPaymentMethodChange) -> wire.PaymentMethod | UnsetType:
    built = wire.PaymentMethod(**msgspec.structs.asdict(value))  # UNSET stays out, None is null
    return UNSET if built == wire.PaymentMethod() else built


def order(options: PrimerCreateOptions | PrimerUpdateOptions, *, patch: bool) -> wire.Order | UnsetType:
    """Primer's ``order``; left out when nothing of it is given. Lists and ``shipping`` go whole."""
    built = wire.Order(
        country_code=sent(options.country_code, patch=patch),
        retailer_country_code=sent(options.retailer_country_code, patch=patch),
        line_items=nested(options.line_items, lambda items: [line_item(i) for i in items], patch=patch),
        fees=nested(options.fees, lambda fees: [fee(f) for f in fees], patch=patch),
        shipping=nested(options.shipping, shipping, patch=patch),
    )
    return UNSET if built == wire.Order() else built
