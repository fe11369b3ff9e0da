"""Every provider has the same shape (service/providers/README.md): this fails when one misses a step."""

from __future__ import annotations

import importlib
import importlib.util
import json
import pkgutil
from pathlib import Path
from typing import Any, get_args

import pytest

import tests.contract
from contracts.commands import CreateSession, UpdateSession
from contracts.events import Session
from contracts.names import PROVIDERS
from service.metrics import Metrics
from service.providers.http import ProviderHttp
from service.providers.registry import FACTORIES, build_providers
from service.settings import settings_from_mapping
from tests.contract.base import ProviderContract
from tests.unit.fakes import FixedClock

ROOT = Path(__file__).parents[2]
BASE = "http://127.0.0.1:9"
ACCOUNT = {
    "primer": {"base_url": BASE, "api_key": "k"},
    "worldline": {"base_url": BASE, "merchant_id": "1", "api_key_id": "k", "secret_api_key": "s"},
    "mpgs": {"base_url": BASE, "merchant_id": "M1", "api_password": "p"},
    "acquired": {"base_url": BASE, "app_id": "a", "app_key": "k"},
}
MODULES = ("__init__", "wire", "transformers", "errors", "adapter")


def _tags(union: Any) -> set[str]:
    return {member.__struct_config__.tag for member in get_args(union)}


def _adapters() -> dict[str, Any]:
    accounts = settings_from_mapping({"accounts": {"default": ACCOUNT}}, {}).accounts
    built = build_providers(accounts, ProviderHttp(None, Metrics()), FixedClock())  # type: ignore[arg-type]
    return {provider: adapter for (_, provider), adapter in built.items()}


def _contract_tests() -> dict[str, type[ProviderContract]]:
    for module in pkgutil.iter_modules(tests.contract.__path__):
        importlib.import_module(f"tests.contract.{module.name}")
    found: dict[str, type[ProviderContract]] = {}
    pending = list(ProviderContract.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__name__.startswith("Test") and hasattr(cls, "provider"):
            found[cls.provider] = cls
    return found


def test_every_contract_type_is_a_provider() -> None:
    assert _tags(CreateSession) == _tags(UpdateSession) == _tags(Session) == set(PROVIDERS) == set(FACTORIES)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_adapter_folder_has_every_role(provider: str) -> None:
    adapter = _adapters()[provider]
    package = type(adapter).__module__.rsplit(".", 1)[0]
    missing = [name for name in MODULES if importlib.util.find_spec(f"{package}.{name}") is None]
    assert not missing, f"{package} lacks {missing}"
    assert hasattr(adapter, "create") and hasattr(adapter, "update")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_simulator_and_the_contract_test_exist(provider: str) -> None:
    assert importlib.util.find_spec(f"service.simulator.{provider.replace('-', '_')}") is not None
    assert provider in _contract_tests(), f"no ProviderContract subclass for {provider}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_conformance_corpus_names_its_sources(provider: str) -> None:
    corpus = ROOT / "tests" / "providers" / provider
    examples = sorted(corpus.glob("*.json"))
    assert examples, f"no corpus in {corpus}"
    index = (corpus / "README.md").read_text(encoding="utf-8")
    for path in examples:
        example = json.loads(path.read_text(encoding="utf-8"))
        assert {"source", "note", "kind", "status", "body"} <= set(example), path
        assert example["source"].strip(), f"{path} names no source"
        assert path.name in index, f"{path.name} is not listed in {corpus / 'README.md'}"
