"""The CLI's surface without a broker: where ``--config`` may go, ``--version``, the documented exit codes, the
environment overrides of secret-bearing URLs, and how often ``dead-letters replay`` reports progress."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from aiormq.exceptions import InvalidFrameError, ProbableAuthenticationError

from service.__main__ import _parser
from service.deadletters import DeadLetterInfo, Progress, ReplayReport
from service.exits import Exit, broker_failure, broker_refusal
from service.settings import load_settings, settings_from_mapping


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "x.toml", "run"],
        ["run", "--config", "x.toml"],
        ["dead-letters", "replay", "--all", "--config", "x.toml"],
        ["dead-letters", "--config", "x.toml", "list"],
        ["send", "create", "--config", "x.toml", "--provider", "primer"],
    ],
)
def test_config_is_taken_before_or_after_the_command(argv: list[str]) -> None:
    assert _parser().parse_args(argv).config == "x.toml"


def test_without_config_none_is_given() -> None:
    assert getattr(_parser().parse_args(["run"]), "config", None) is None


def test_version_is_the_installed_package_version() -> None:
    done = subprocess.run([sys.executable, "-m", "service", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert done.stdout.strip() == f"payment-sessions {version('payment-sessions')}"


def test_help_lists_every_exit_code() -> None:
    for argv in (["--help"], ["send", "--help"], ["dead-letters", "replay", "--help"]):
        out = io.StringIO()
        with pytest.raises(SystemExit) as exited, contextlib.redirect_stdout(out):
            _parser().parse_args(argv)
        assert exited.value.code == 0
        for code in Exit:
            assert f"\n  {code.value}  " in out.getvalue(), (argv, code)


# --- 8: environment overrides of secret-bearing URLs ---------------------------------------------------------


def test_redis_url_overrides_the_idempotency_url() -> None:
    raw = {"idempotency": {"backend": "redis", "url": "redis://file-host:6379/0"}}
    assert settings_from_mapping(raw, {}).idempotency.url.reveal() == "redis://file-host:6379/0"
    settings = settings_from_mapping(raw, {"REDIS_URL": "redis://:pw@env-host:6379/1"})
    assert settings.idempotency.url.reveal() == "redis://:pw@env-host:6379/1"
    assert "pw" not in repr(settings.idempotency)
    assert settings_from_mapping(raw, {"REDIS_URL": ""}).idempotency.url.reveal() == "redis://file-host:6379/0"


def test_the_environment_wins_over_a_url_file(tmp_path: Path) -> None:
    """``<key>_file`` keeps working; when the environment names the same URL, the environment wins."""
    (tmp_path / "redis-url").write_text("redis://:from-file@file-host:6379/0\n")
    (tmp_path / "amqp-url").write_text("amqp://svc:from-file@file-host:5672/\n")
    config = tmp_path / "service.toml"
    config.write_text(
        f'[broker]\nurl_file = "{tmp_path / "amqp-url"}"\n'
        f'[idempotency]\nbackend = "redis"\nurl_file = "{tmp_path / "redis-url"}"\n'
    )
    from_files = load_settings(str(config), {})
    assert from_files.idempotency.url.reveal() == "redis://:from-file@file-host:6379/0"
    assert from_files.broker.url.reveal() == "amqp://svc:from-file@file-host:5672/"
    env = {"REDIS_URL": "redis://:from-env@env-host:6379/0", "AMQP_URL": "amqp://svc:from-env@env-host:5672/"}
    from_env = load_settings(str(config), env)
    assert from_env.idempotency.url.reveal() == "redis://:from-env@env-host:6379/0"
    assert from_env.broker.url.reveal() == "amqp://svc:from-env@env-host:5672/"


# --- broker failures as exit codes ----------------------------------------------------------------------------


def test_a_refused_login_is_its_own_exit_code_even_when_wrapped() -> None:
    refused = ProbableAuthenticationError("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN.")
    assert broker_failure(refused, "amqp://svc:***@h/") == (
        Exit.REFUSED,
        "the broker refused the login to amqp://svc:***@h/: "
        "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN.",
    )
    # what connect() raises when it gave up retrying: the refusal is what it was raised from
    wrapped = ConnectionError("cannot reach amqp://svc:***@h/: ProbableAuthenticationError")
    wrapped.__context__ = refused
    assert (broker_failure(wrapped, "b") or ())[:1] == (Exit.REFUSED,)
    closed = InvalidFrameError("Expected one of ['Connection.OpenOk'], got <Connection.Close object at 0x1>")
    assert broker_refusal(closed) == "the vhost does not exist or the user may not use it"
    assert (broker_failure(ConnectionRefusedError(111, "refused"), "b") or ())[:1] == (Exit.UNREACHABLE,)
    assert broker_failure(ValueError("x"), "b") is None


# --- 7: replay progress ---------------------------------------------------------------------------------------


def _letter(index: int) -> DeadLetterInfo:
    return DeadLetterInfo(
        message_id=f"m-{index}", routing_key="session.create", reason="r", source="service", size=1,
        timestamp=None, replays=0, deliveries=0,
    )  # fmt: skip


def test_progress_every_n_letters_or_every_interval_and_at_the_end() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = Progress(out, every=100, interval=1.0, clock=lambda: now[0])
    report = ReplayReport()
    for seen in range(1, 251):
        report.replayed.append(_letter(seen))
        now[0] += 0.001
        progress(seen, 250, report)
    assert out.getvalue().splitlines() == [
        "replay: 100 of 250 dead letters looked at, 100 replayed, 0 not replayed",
        "replay: 200 of 250 dead letters looked at, 200 replayed, 0 not replayed",
        "replay: 250 of 250 dead letters looked at, 250 replayed, 0 not replayed",
    ]
    slow = io.StringIO()
    progress = Progress(slow, every=100, interval=1.0, clock=lambda: now[0])
    for seen in range(1, 4):
        now[0] += 0.6  # slow republishes: a line each second even before 100 letters
        progress(seen, 1000, report)
    assert [line.split(" of ")[0] for line in slow.getvalue().splitlines()] == ["replay: 2"]


def test_run_without_any_configuration_file_is_one_clear_error() -> None:
    """The image carries no configuration: started bare, ``run`` says what is missing (exit 2) instead of
    consuming commands with no provider account to serve them."""
    env = {k: v for k, v in os.environ.items() if k != "PAYMENT_SESSIONS_CONFIG"}
    done = subprocess.run(
        [sys.executable, "-m", "service", "run"], capture_output=True, text=True, check=False, env=env, timeout=30
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "payment-sessions: bad configuration: no configuration file: give --config FILE or set "
        "PAYMENT_SESSIONS_CONFIG (config/local.toml runs against the local simulator)"
    ]
    assert done.stdout == ""
