"""Broker tokens with roles: made once, shown once, stored as SHA-256 digests.

A role grants permissions: `read` reads; `publish` also publishes contracts and version
facts and records deployments; `verify` also publishes verification results and records
deployments; `admin` may do everything (environments, webhooks, deletions).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from interlock.broker.records import as_utc, now
from interlock.errors import UserInputError
from interlock.store.broker_access_schema import broker_tokens

ROLES = ("read", "publish", "verify", "admin")
PERMISSIONS = ("read", "publish", "verify", "deploy", "admin")
GRANTS: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "publish": frozenset({"read", "publish", "deploy"}),
    "verify": frozenset({"read", "verify", "deploy"}),
    "admin": frozenset(PERMISSIONS),
}
PREFIX = "ilk_"


@dataclass(frozen=True)
class Token:
    """A token as stored: its name and role, never its secret."""

    id: int
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A token just made: the secret is here and nowhere else."""

    token: Token
    secret: str


def digest(secret: str) -> str:
    """What is stored of a token: the SHA-256 of its secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _token(row: object) -> Token:
    values = row._mapping  # type: ignore[attr-defined]  # a SQLAlchemy Row
    revoked = values["revoked_at"]
    return Token(
        values["id"],
        values["name"],
        values["role"],
        as_utc(values["created_at"]),
        None if revoked is None else as_utc(revoked),
    )


def create_token(engine: Engine, role: str, name: str | None = None) -> NewToken:
    """Make a token with `role` (named `name`, or after its role and number)."""
    if role not in ROLES:
        raise UserInputError(f"--role {role!r}: expected one of {', '.join(ROLES)}")
    secret = PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as connection:
        new_id = connection.execute(
            insert(broker_tokens)
            .values(name=name or role, role=role, digest=digest(secret), created_at=now())
            .returning(broker_tokens.c.id)
        ).scalar_one()
        if not name:
            connection.execute(
                update(broker_tokens)
                .where(broker_tokens.c.id == new_id)
                .values(name=f"{role}-{new_id}")
            )
        row = connection.execute(select(broker_tokens).where(broker_tokens.c.id == new_id)).one()
    return NewToken(_token(row), secret)


def list_tokens(engine: Engine) -> list[Token]:
    """Every token, oldest first (revoked ones too, marked)."""
    with engine.connect() as connection:
        rows = connection.execute(select(broker_tokens).order_by(broker_tokens.c.id)).all()
    return [_token(row) for row in rows]


def revoke_token(engine: Engine, name: str) -> Token:
    """Revoke the token called `name`: it is refused from now on."""
    with engine.begin() as connection:
        found = connection.execute(
            update(broker_tokens)
            .where(broker_tokens.c.name == name, broker_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now())
            .returning(broker_tokens.c.id)
        ).scalar()
        if found is None:
            raise UserInputError(f"--name {name!r}: no active token has that name")
        row = connection.execute(select(broker_tokens).where(broker_tokens.c.id == found)).one()
    return _token(row)


def find_token(engine: Engine, secret: str) -> Token | None:
    """The active token whose secret this is, or None."""
    with engine.connect() as connection:
        row = connection.execute(
            select(broker_tokens).where(
                broker_tokens.c.digest == digest(secret), broker_tokens.c.revoked_at.is_(None)
            )
        ).first()
    return None if row is None else _token(row)


def any_active_token(engine: Engine) -> bool:
    """True once a token exists: from then on every write needs one."""
    with engine.connect() as connection:
        found = connection.execute(
            select(broker_tokens.c.id).where(broker_tokens.c.revoked_at.is_(None)).limit(1)
        ).first()
    return found is not None
