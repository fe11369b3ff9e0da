"""Settings: the only module that reads the environment and the configuration file.

One TOML file (``--config`` or ``PAYMENT_SESSIONS_CONFIG``), ``AMQP_URL`` / ``REDIS_URL`` for the broker and the
idempotency store (they win over the file's ``url`` and ``url_file``), and every secret either inline or as
``<key>_file``. Bad configuration fails at start with the key's dotted path.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec
from msgspec import Struct
from yarl import URL

from contracts.names import Topology
from contracts.nodes import masked, node_urls
from service.secret import Secret

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


class SettingsError(Exception):
    """Configuration is unusable; the message names the key."""


def _check_base_url(key: str, value: str) -> None:
    url = URL(value)
    if url.scheme not in ("http", "https") or not url.host or url.path not in ("", "/") or url.query_string:
        raise ValueError(f"{key} must be scheme, host and port only (e.g. https://api.example.com), got {value!r}")


_PATH_SEGMENT = re.compile(r"[^/\\%\x00-\x20\x7f]+")


def _check_segment(key: str, value: str) -> None:
    """A configured id that becomes one URL path segment (a merchant id): never a dot segment or a separator."""
    if value in (".", "..") or not _PATH_SEGMENT.fullmatch(value):
        raise ValueError(f"{key} must be one URL path segment: not '.' or '..', without / \\ % or spaces")


class ProviderAccount(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    base_url: str
    timeout: float = 10.0  # seconds for one provider call

    def __post_init__(self) -> None:
        _check_base_url("base_url", self.base_url)
        if not 0 < self.timeout <= 120:
            raise ValueError("timeout must be between 0 and 120 seconds")


class PrimerAccount(ProviderAccount, frozen=True, kw_only=True):
    api_key: Secret
    api_version: str = "2.4"


class WorldlineAccount(ProviderAccount, frozen=True, kw_only=True):
    merchant_id: str
    api_key_id: str
    secret_api_key: Secret
    integrator: str = "payment-sessions"
    applepay_domains: list[str] | None = None  # overrides the shipped Apple host list
    # Hosts an Apple Pay command's client_api_url may name (https, port 443): exact names, or "*.<domain>" for
    # any host under <domain>. None: the hosts Worldline documents (providers/worldline/client_api_hosts.txt).
    # The origin of base_url is always allowed.
    client_api_hosts: list[str] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_segment("merchant_id", self.merchant_id)
        for host in self.client_api_hosts or ():
            if not re.fullmatch(r"(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+", host.strip().lower()):
                raise ValueError(f"client_api_hosts: {host!r} is not a host name or *.<domain>")


class MpgsAccount(ProviderAccount, frozen=True, kw_only=True):
    merchant_id: str
    api_password: Secret
    api_version: int = 100
    include_aes256_key: bool = False  # put the session's aes256Key in events (off: it is a server secret)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_segment("merchant_id", self.merchant_id)


class AcquiredAccount(ProviderAccount, frozen=True, kw_only=True):
    app_id: str
    app_key: Secret
    company_id: str | None = None
    mid: str | None = None


class AccountProviders(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The provider tables of one merchant account: ``[accounts.<name>.<provider>]``."""

    # AMQP users allowed to publish commands naming this account (``[accounts.<name>] publishers``); None: any.
    publishers: list[str] | None = None
    primer: PrimerAccount | None = None
    worldline: WorldlineAccount | None = None
    mpgs: MpgsAccount | None = None
    acquired: AcquiredAccount | None = None


class Broker(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # One node, or a cluster's: amqp://user:pass@rabbit-0,rabbit-1,rabbit-2/vhost (or whole URLs, comma-separated);
    # each connection attempt goes to the next node (contracts.nodes).
    url: Secret = Secret(DEFAULT_AMQP_URL)
    prefetch: int = 256
    delivery_limit: int = 20  # quorum-queue redeliveries before the broker dead-letters a command
    publish_timeout: float = 10.0  # seconds to wait for a publisher confirm
    republish_delay: float = 1.0  # seconds before requeueing a command whose event was not confirmed
    max_body_bytes: int = 256 * 1024
    app_id: str = "payment-sessions"
    event_source: str = "urn:payment-sessions"  # CloudEvents ``source``
    connect_timeout: float = 60.0  # seconds to keep retrying the first connection at start
    verify_tls: bool = True  # for amqps://; turn off only for local brokers with self-signed certs
    # amqps:// only, each PEM text or (usual) ``<key>_file`` = a path: the CA(s) the broker's certificate must chain
    # to (none: the system's CAs), and a client certificate with its key for brokers that require one.
    ca: str | None = None
    cert: str | None = None
    key: Secret | None = None
    # "declare": create exchanges, queues and bindings at start (the user needs configure rights);
    # "verify": only check they exist, for a least-privilege user (deploy/rabbitmq/definitions.json).
    topology: Literal["declare", "verify"] = "declare"

    def __post_init__(self) -> None:
        self.nodes  # noqa: B018 - an unreadable address fails here, at load, in one line without the password
        if not 1 <= self.prefetch <= 65535:
            raise ValueError("prefetch must be between 1 and 65535")
        if (self.cert is None) != (self.key is None):
            raise ValueError("cert and key go together: give both (cert_file, key_file) or neither")
        for name, pem in (
            ("ca", self.ca),
            ("cert", self.cert),
            ("key", self.key.reveal() if self.key is not None else None),
        ):
            if pem is not None and "-----BEGIN " not in pem:  # a path given as `ca` instead of `ca_file`
                raise ValueError(f"{name} must be PEM text; give a path as {name}_file")
        if (self.ca or self.cert) and self.nodes[0].scheme != "amqps":
            raise ValueError("ca, cert and key need an amqps:// url (they would be ignored)")

    @property
    def nodes(self) -> tuple[URL, ...]:
        """The broker nodes ``url`` names (one or a cluster's)."""
        return node_urls(self.url.reveal())

    @property
    def where(self) -> str:
        """``url`` for logs and errors: every node, the password masked."""
        return masked(self.nodes)


class Tracing(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """OpenTelemetry spans (needs the ``otel`` extra). Trace context is propagated and logged without it."""

    otlp_endpoint: str | None = None  # OTLP/HTTP collector, e.g. http://otel-collector:4318; None: no spans
    export_interval: float = 5.0  # seconds between span batches

    def __post_init__(self) -> None:
        if self.otlp_endpoint is not None:
            _check_base_url("otlp_endpoint", self.otlp_endpoint)
        if not 0 < self.export_interval <= 60:
            raise ValueError("export_interval must be in (0, 60] seconds")


class HttpServer(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    enabled: bool = True
    host: str = "0.0.0.0"  # noqa: S104 - the probe server is meant to be reached by the orchestrator
    port: int = 8000  # 0 picks a free port


class Logging(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


class Simulator(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8080
    latency_ms: int = 0


class Idempotency(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where command outcomes are remembered: ``memory`` (one replica) or ``redis`` (shared by replicas)."""

    backend: Literal["memory", "redis"] = "memory"
    url: Secret = Secret("redis://127.0.0.1:6379/0")
    key_prefix: str = "payment-sessions:"
    retention: float = 48 * 3600.0  # seconds an outcome is kept for duplicates
    lease: float = 120.0  # seconds a replica owns a command it is working on (must exceed the deadline)
    max_records: int = 200_000  # memory backend only: beyond this the oldest finished outcomes are forgotten
    probe_interval: float = 1.0  # seconds between checks of an unreachable store while consuming is paused
    # Redis Sentinel, "host:port" each: the store asks them for the master of ``master_name`` and follows a
    # failover. ``url`` (redis:// only) then gives the data nodes' user, password and db; its host is not used.
    sentinels: list[str] = []
    master_name: str = "mymaster"
    sentinel_password: Secret | None = None  # the sentinels' own requirepass, when they have one

    def __post_init__(self) -> None:
        if self.max_records < 1 or self.probe_interval <= 0:
            raise ValueError("max_records must be at least 1 and probe_interval positive")
        if not self.sentinels:
            if self.sentinel_password is not None:
                raise ValueError("sentinel_password is set but sentinels is empty")
            return
        self.sentinel_addresses()  # each one host:port
        if self.backend != "redis":
            raise ValueError('sentinels need backend = "redis"')
        if not self.master_name.strip():
            raise ValueError("master_name must name the master the sentinels monitor (sentinel monitor <name> ...)")
        if not self.url.reveal().lower().startswith("redis://"):
            raise ValueError("with sentinels, url must be redis://[user:password@]host/db (no rediss:// or unix://)")

    def sentinel_addresses(self) -> list[tuple[str, int]]:
        addresses = []
        for entry in self.sentinels:
            host, _, port = entry.rpartition(":")
            host = host.removeprefix("[").removesuffix("]")  # [::1]:26379
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"sentinels: {entry!r} is not host:port (e.g. redis-sentinel-0:26379)")
            addresses.append((host, int(port)))
        return addresses


class Retry(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Delayed retries of retryable provider failures, through TTL queues that dead-letter back."""

    delays: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)  # seconds before attempt 2, 3, ...; the last repeats
    max_attempts: int = 5  # provider attempts before session.failed (retryable: true)
    busy_delay: float = 1.0  # seconds before a duplicate of an in-progress command looks again
    store_delay: float = 5.0  # seconds a command waits (parked) when the idempotency store is unreachable

    def __post_init__(self) -> None:
        if not self.delays or any(not 0 < delay <= 86400 for delay in self.delays):
            raise ValueError("delays must be a non-empty list of seconds between 0 and 86400")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 < self.busy_delay <= 86400 or not 0 < self.store_delay <= 86400:
            raise ValueError("busy_delay and store_delay must be seconds between 0 and 86400")


# Server-named queues (amq.gen-…), aio-pika's client-named anonymous queues (amq_<hex>) and the contracts
# client's own reply queues: names a publisher gets for a private queue, never a shared queue's name.
DEFAULT_REPLY_TO = r"amq\.gen-[A-Za-z0-9_-]{1,64}|amq_[0-9a-f]{32}|payment-sessions\.client\.[0-9a-f]{32}"


class Commands(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    max_age: float | None = 24 * 3600.0  # seconds after issued_at a command is refused as expired
    deadline: float = 60.0  # seconds for one command's provider work (well under the broker's consumer timeout)
    reply_to_pattern: str = DEFAULT_REPLY_TO  # a command's reply_to gets its event only when it matches whole

    def __post_init__(self) -> None:
        try:
            re.compile(self.reply_to_pattern)
        except re.error as exc:
            raise ValueError(f"reply_to_pattern is not a regular expression ({exc})") from None


class Breaker(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Per provider account: after ``failure_threshold`` retryable failures in a row, stop calling for
    ``cooldown`` seconds (commands go straight to the retry path), then let one probe through."""

    failure_threshold: int = 5
    cooldown: float = 30.0


class Expiry(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``session.expired`` for the sessions the service made (service/expiry.py): a pointer hops through TTL queues
    of these lengths (seconds) until the session's ``expires_at``."""

    enabled: bool = True
    tiers: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0, 10000.0)

    def __post_init__(self) -> None:
        if not self.tiers or sorted(set(self.tiers)) != list(self.tiers) or not 0 < self.tiers[0] <= 60:
            raise ValueError("tiers must be increasing seconds, the first between 0 and 60")
        if self.tiers[-1] > 86400:
            raise ValueError("tiers must stay within 86400 seconds")


class Settings(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    broker: Broker = Broker()
    idempotency: Idempotency = Idempotency()
    retry: Retry = Retry()
    expiry: Expiry = Expiry()
    commands: Commands = Commands()
    breaker: Breaker = Breaker()
    topology: Topology = Topology()
    http: HttpServer = HttpServer()
    logging: Logging = Logging()
    tracing: Tracing = Tracing()
    simulator: Simulator = Simulator()
    shutdown_grace: float = 25.0  # seconds to finish in-flight commands after SIGTERM
    accounts: dict[str, AccountProviders] = {}

    def __post_init__(self) -> None:
        if self.commands.deadline >= self.idempotency.lease:
            raise ValueError("commands.deadline must be shorter than idempotency.lease")


def _dec_hook(type_: type, obj: Any) -> Any:
    if type_ is Secret:
        if not isinstance(obj, str):
            raise TypeError("Expected `str`")
        return Secret(obj)
    raise NotImplementedError


def _read_secret_files(table: dict[str, Any], path: str) -> dict[str, Any]:
    """Replace every ``<key>_file`` with ``<key>`` holding the file's stripped content."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out[key] = _read_secret_files(value, f"{path}{key}.")
        elif key.endswith("_file") and isinstance(value, str):
            plain = key.removesuffix("_file")
            if plain in table:
                raise SettingsError(f"{path}{key}: give either {plain} or {key}, not both")
            try:
                out[plain] = Path(value).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SettingsError(f"{path}{key}: cannot read {value!r} ({exc.strerror})") from None
        else:
            out[key] = value
    return out


_AT = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")


def _convert(raw: Any, type_: type[Any], prefix: str) -> Any:
    try:
        return msgspec.convert(raw, type_, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        text = str(exc)
        match = _AT.search(text)
        key = prefix + (match.group("path") if match else "")
        message = _AT.sub("", text)
        raise SettingsError(f"{key.strip('.') or 'config'}: {message}") from None


# Environment variables that override a secret-bearing URL of the file, and its ``<key>_file``: secret stores
# and orchestrators hand credentials to a process as environment as often as files.
ENV_URLS: dict[str, tuple[str, str]] = {"AMQP_URL": ("broker", "url"), "REDIS_URL": ("idempotency", "url")}


def settings_from_mapping(raw: Mapping[str, Any], env: Mapping[str, str]) -> Settings:
    data = _read_secret_files(dict(raw), "")
    accounts_raw = data.pop("accounts", {})
    if not isinstance(accounts_raw, dict):
        raise SettingsError("accounts: Expected a table")
    accounts = {name: _convert(table, AccountProviders, f"accounts.{name}.") for name, table in accounts_raw.items()}
    for variable, (section, key) in ENV_URLS.items():
        if value := env.get(variable):  # wins over the file's key and its <key>_file; empty counts as unset
            data.setdefault(section, {})[key] = value
    settings: Settings = _convert(data, Settings, "")
    return msgspec.structs.replace(settings, accounts=accounts)


def load_settings(
    path: str | None = None, env: Mapping[str, str] | None = None, *, require_file: bool = False
) -> Settings:
    """Read the TOML file named by ``path`` or ``PAYMENT_SESSIONS_CONFIG`` (none: defaults) plus ``ENV_URLS``.
    ``require_file``: no file at all is an error (``run``: the defaults name no provider account, so a service
    started without its configuration, say from the image alone, would consume commands it cannot serve)."""
    env = os.environ if env is None else env
    path = path or env.get("PAYMENT_SESSIONS_CONFIG")
    if require_file and not path:
        raise SettingsError(
            "no configuration file: give --config FILE or set PAYMENT_SESSIONS_CONFIG "
            "(config/local.toml runs against the local simulator)"
        )
    raw: dict[str, Any] = {}
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"config file {path!r}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {path!r}: {exc}") from None
    return settings_from_mapping(raw, env)
