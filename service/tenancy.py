"""Who may publish what: accounts limited to named AMQP users, command ids scoped per account, reply queues
limited to a pattern. See the README's trust model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Final

from service.settings import AccountProviders

DEFAULT_ACCOUNT: Final = "default"
_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def account_scope(account: object) -> str:
    """The namespace of a command's ids: its account name; a name that is not one (an invalid command's
    ``account`` can be anything) gets a namespace of its own that no real account can share."""
    if account is None:
        return DEFAULT_ACCOUNT
    if isinstance(account, str) and _ACCOUNT_NAME.match(account):
        return account
    return "?" + hashlib.sha256(repr(account).encode("utf-8", "backslashreplace")).hexdigest()[:16]


def scoped_id(account: str, command_id: str) -> str:
    """``command_id`` within its account: account B's command never meets account A's under the same id. The
    default account keeps the bare id (the ids of outcomes stored before scoping existed). The space cannot
    occur in an account name or a command id, so two scoped ids never collide."""
    return command_id if account == DEFAULT_ACCOUNT else f"{account} {command_id}"


class Tenancy:
    def __init__(self, accounts: Mapping[str, AccountProviders], reply_to_pattern: str) -> None:
        self._publishers = {
            name: frozenset(tables.publishers) for name, tables in accounts.items() if tables.publishers is not None
        }
        self._reply_to = re.compile(reply_to_pattern)

    def may_publish(self, account: str, user_id: str | None) -> bool:
        """An account with ``publishers`` takes commands only from those AMQP users (RabbitMQ checks that a
        message's ``user_id`` is the user of the connection that published it)."""
        allowed = self._publishers.get(account)
        return allowed is None or (user_id is not None and user_id in allowed)

    def reply_queue(self, reply_to: str | None) -> str | None:
        """``reply_to`` when it names a queue replies may go to, else None (the event still goes out)."""
        if reply_to and self._reply_to.fullmatch(reply_to):
            return reply_to
        return None
