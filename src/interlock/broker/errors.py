"""What the broker answers when a request cannot be served: a status and one message.

Each is a `UserInputError`, so the CLI shows it as one line and exits 2.
"""

from __future__ import annotations

from interlock.errors import UserInputError


class BrokerError(UserInputError):
    """A request the broker refuses (400): the message says which field and what was expected."""

    status = 400


class NotFoundError(BrokerError):
    """Something named in the request does not exist (404)."""

    status = 404


class ConflictError(BrokerError):
    """A write that contradicts what is stored (409), e.g. a merge of differing interactions."""

    status = 409
