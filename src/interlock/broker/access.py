"""Who may do what to the broker: the permission a request needs, and the caller's right to it.

Without any token in the store the broker is open to loopback clients only (a laptop). Once a
token exists, every write needs a token whose role grants it; reads without a token are
served to loopback clients only, unless `INTERLOCK_BROKER_PUBLIC_READ` says otherwise.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from sqlalchemy import Engine

from interlock.broker.errors import BrokerError
from interlock.broker.tokens import GRANTS, any_active_token, find_token

_READS = ("GET", "HEAD", "OPTIONS")
# POST for-verification asks a question; it changes nothing.
_QUESTION = re.compile(r"/pacts/provider/[^/]+/for-verification$")
_VERIFY = re.compile(r"/verification-results$")
_DEPLOY = re.compile(r"/(deployed|released)-versions(/|$)")
_PUBLISH = re.compile(r"^/(contracts/publish|pacts/|pacticipants)")


class UnauthorizedError(BrokerError):
    """No token, or one the broker does not know (401)."""

    status = 401


class ForbiddenError(BrokerError):
    """A token whose role does not grant what the request does (403)."""

    status = 403


@dataclass(frozen=True)
class Caller:
    """Who made a request: a token's name and role, or anonymous; and from where."""

    actor: str
    role: str | None
    client: str | None


def permission_for(method: str, path: str) -> str:
    """The permission a request needs; `path` is relative to the broker's base URL."""
    if method.upper() in _READS or (method.upper() == "POST" and _QUESTION.search(path)):
        return "read"
    if _VERIFY.search(path):
        return "verify"
    if _DEPLOY.search(path):
        return "deploy"
    if method.upper() != "DELETE" and _PUBLISH.search(path):
        return "publish"
    return "admin"


def is_write(method: str, path: str) -> bool:
    """True for the requests the audit records: all but reads and questions."""
    return permission_for(method, path) != "read"


def is_loopback(client: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (and the in-process test client)."""
    if client is None or client == "testclient":
        return client is not None
    try:
        return ipaddress.ip_address(client).is_loopback
    except ValueError:
        return False


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise UnauthorizedError("Authorization: expected 'Bearer <token>'")
    return value.strip()


def authorize(
    engine: Engine,
    *,
    method: str,
    path: str,
    authorization: str | None,
    client: str | None,
    public_read: bool,
) -> Caller:
    """The caller, if allowed to make this request; `UnauthorizedError` or `ForbiddenError`."""
    needed = permission_for(method, path)
    secret = bearer(authorization)
    if secret is not None:
        token = find_token(engine, secret)
        if token is None:
            raise UnauthorizedError("the token is unknown or revoked")
        if needed not in GRANTS[token.role]:
            raise ForbiddenError(
                f"the token {token.name!r} has role {token.role!r}, which may not {needed}: "
                f"{method} {path}"
            )
        return Caller(token.name, token.role, client)
    anonymous = Caller("anonymous", None, client)
    if needed == "read":
        if public_read or is_loopback(client):
            return anonymous
        raise UnauthorizedError(
            "reading needs a token from a client that is not on this machine "
            "(or INTERLOCK_BROKER_PUBLIC_READ=true)"
        )
    if not is_loopback(client):
        raise UnauthorizedError(f"{method} {path} needs a token with a role that may {needed}")
    if any_active_token(engine):
        raise UnauthorizedError(
            f"{method} {path} needs a token with a role that may {needed} "
            "(interlock broker token create --role ...)"
        )
    return anonymous
