"""Which adapter serves which provider id: adding a provider is one line here."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from service.ports import AnyProvider, Clock
from service.providers.acquired.adapter import AcquiredProvider
from service.providers.http import ProviderHttp
from service.providers.mpgs.adapter import MpgsProvider
from service.providers.primer.adapter import PrimerProvider
from service.providers.worldline.adapter import ApplePayProvider, WorldlineProvider
from service.settings import AccountProviders

Factory = Callable[[AccountProviders, ProviderHttp, Clock], AnyProvider | None]

FACTORIES: dict[str, Factory] = {
    "primer": lambda acct, http, clock: PrimerProvider(acct.primer, http) if acct.primer else None,
    "mpgs": lambda acct, http, clock: MpgsProvider(acct.mpgs, http, clock) if acct.mpgs else None,
    "acquired": lambda acct, http, clock: AcquiredProvider(acct.acquired, http, clock) if acct.acquired else None,
    "worldline": lambda acct, http, clock: WorldlineProvider(acct.worldline, http, clock) if acct.worldline else None,
    "worldline-applepay": lambda acct, http, clock: (
        ApplePayProvider(acct.worldline, http, clock) if acct.worldline else None
    ),
}


def build_providers(
    accounts: Mapping[str, AccountProviders], http: ProviderHttp, clock: Clock
) -> dict[tuple[str, str], AnyProvider]:
    """One adapter per (account, provider id) that has a configuration table."""
    built: dict[tuple[str, str], AnyProvider] = {}
    for account, tables in accounts.items():
        for provider_id, factory in FACTORIES.items():
            adapter = factory(tables, http, clock)
            if adapter is not None:
                built[(account, provider_id)] = adapter
    return built
