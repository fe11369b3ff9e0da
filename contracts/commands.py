"""Commands: ``session.create`` and ``session.update``.

Each command is a tagged union on ``provider``; the tag selects the provider's command type (one module each in
``contracts.providers``), which carries only what that provider takes. Commands are strict (unknown fields are
refused) because a misspelt option silently ignored is a wrong payment page.
"""

from __future__ import annotations

from contracts.command_base import Address, CreateCommand, Customer, UpdateCommand
from contracts.names import CommandType
from contracts.providers.acquired import (
    AcquiredCreateOptions,
    AcquiredPaymentMethod,
    AcquiredUpdateOptions,
    ChallengePreference,
    CreateAcquiredSession,
    TdsOptions,
    UpdateAcquiredSession,
)
from contracts.providers.applepay import ApplePayCreateOptions, CreateApplePaySession, UpdateApplePaySession
from contracts.providers.mpgs import CreateMpgsSession, MpgsCreateOptions, MpgsUpdateOptions, UpdateMpgsSession
from contracts.providers.primer import (
    CreatePrimerSession,
    PrimerCreateOptions,
    PrimerLineItem,
    PrimerPaymentMethod,
    PrimerUpdateOptions,
    UpdatePrimerSession,
)
from contracts.providers.worldline import (
    CreateWorldlineSession,
    PaymentProductFilter,
    PaymentProductFilters,
    UpdateWorldlineSession,
    WorldlineCreateOptions,
)

__all__ = [
    "AcquiredCreateOptions",
    "AcquiredPaymentMethod",
    "AcquiredUpdateOptions",
    "Address",
    "ApplePayCreateOptions",
    "ChallengePreference",
    "Command",
    "CreateAcquiredSession",
    "CreateApplePaySession",
    "CreateCommand",
    "CreateMpgsSession",
    "CreatePrimerSession",
    "CreateSession",
    "CreateWorldlineSession",
    "Customer",
    "MpgsCreateOptions",
    "MpgsUpdateOptions",
    "PaymentProductFilter",
    "PaymentProductFilters",
    "PrimerCreateOptions",
    "PrimerLineItem",
    "PrimerPaymentMethod",
    "PrimerUpdateOptions",
    "TdsOptions",
    "UpdateAcquiredSession",
    "UpdateApplePaySession",
    "UpdateCommand",
    "UpdateMpgsSession",
    "UpdatePrimerSession",
    "UpdateSession",
    "UpdateWorldlineSession",
    "WorldlineCreateOptions",
    "command_type_of",
    "provider_of",
]

CreateSession = (
    CreatePrimerSession | CreateWorldlineSession | CreateApplePaySession | CreateMpgsSession | CreateAcquiredSession
)
UpdateSession = (
    UpdatePrimerSession | UpdateWorldlineSession | UpdateApplePaySession | UpdateMpgsSession | UpdateAcquiredSession
)
Command = CreateSession | UpdateSession


def provider_of(command: Command) -> str:
    """The command's ``provider`` tag (msgspec keeps tags on the class, not the instance)."""
    tag = type(command).__struct_config__.tag
    assert isinstance(tag, str)
    return tag


def command_type_of(command: Command) -> CommandType:
    """``session.create`` or ``session.update``, from the command's class."""
    return CommandType.CREATE if isinstance(command, CreateCommand) else CommandType.UPDATE
