"""Exit codes of every ``payment-sessions`` command, and the one line a failed start-up prints.

Orchestrators and scripts act on the code, people on the line: the codes are part of the CLI's contract (the
README and ``--help`` list them), so a new failure gets a code here rather than a bare non-zero.
"""

from __future__ import annotations

import enum

from aiormq.exceptions import AuthenticationError, InvalidFrameError, ProbableAuthenticationError

from service.messaging.connection import BrokerTlsError
from service.messaging.topology import TopologyError


class Exit(enum.IntEnum):
    OK = 0
    FAILED = 1  # done, but not all of it: in-flight commands left after shutdown_grace, a dead letter not replayed
    USAGE = 2  # bad usage or configuration, a command the contract refuses, a queue or exchange that is missing
    NO_OUTCOME = 3  # send: published (the broker confirmed it), but no event within --timeout
    UNREACHABLE = 4  # no broker connection within [broker] connect_timeout; send: not published
    REFUSED = 5  # the broker connection cannot work as configured (login, vhost, TLS): not retried
    HTTP_PORT = 6  # run: the probe server cannot listen on [http] host:port


EPILOG = """exit codes:
  0  done (run: stopped by SIGTERM/SIGINT, every in-flight command finished)
  1  done, but not all of it (run: in-flight commands left after shutdown_grace; dead-letters: something not
     replayed, an id not found, a purge refused)
  2  bad usage or configuration; send: the contract or the broker refused the command (not published)
  3  send: published (confirmed by the broker), no event within --timeout: send the same --command-id again
  4  the broker was not reachable within [broker] connect_timeout; send: not published
  5  the broker connection cannot work as configured, never retried: the login was refused (user, password,
     vhost) or TLS failed (certificate, key, port)
  6  run: the probe server cannot listen on [http] host:port (in use or not permitted)"""


class ProbePortUnavailable(Exception):
    """The probe server cannot listen on its configured address; the message names host and port."""


def broker_refusal(exc: BaseException) -> str | None:
    """Why the broker refused the login, when ``exc`` (or what it was raised from) is such a refusal; else None.

    A refusal is configuration, not an outage: retrying cannot help, so callers stop at once with
    ``Exit.REFUSED``. The broker's reply text names neither the password nor the user.
    """
    seen: BaseException | None = exc
    for _ in range(8):  # the chain is short; the bound only guards against a cycle
        if seen is None:
            return None
        if isinstance(seen, ProbableAuthenticationError):  # RabbitMQ's 403 ACCESS_REFUSED at login
            return str(seen.args[0]) if seen.args else "ACCESS_REFUSED"
        if isinstance(seen, AuthenticationError):
            return "no authentication mechanism in common with the broker"
        if isinstance(seen, InvalidFrameError) and "Connection.Close" in str(seen):
            # RabbitMQ closes the connection instead of Connection.OpenOk: 530 NOT_ALLOWED, the vhost is
            # missing or the user has no permission on it (aiormq does not keep the reply text)
            return "the vhost does not exist or the user may not use it"
        seen = seen.__cause__ or seen.__context__
    return None


def broker_failure(exc: BaseException, broker: str) -> tuple[Exit, str] | None:
    """The exit code and one line for a failed broker connection (``broker``: the URL, password masked);
    None when ``exc`` is something else."""
    refusal = broker_refusal(exc)
    if refusal is not None:
        return Exit.REFUSED, f"the broker refused the login to {broker}: {refusal}"
    if isinstance(exc, BrokerTlsError):  # already one line naming the setting
        return Exit.REFUSED, str(exc)
    if isinstance(exc, TopologyError):  # missing (verify), a mismatch, or no configure right (declare)
        return Exit.USAGE, str(exc)
    if isinstance(exc, ConnectionError):
        return Exit.UNREACHABLE, f"broker unreachable: {exc}"
    return None
