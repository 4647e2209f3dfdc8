"""The broker's own settings, read once from `INTERLOCK_BROKER_*` environment variables.

Who may read without a token, how webhooks are retried, and when old versions are pruned.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from interlock.errors import UserInputError


@dataclass(frozen=True)
class BrokerSettings:
    """Access, webhook delivery and retention of the broker."""

    public_read: bool = False
    """Serve reads without a token to any client (by default only to loopback clients)."""
    webhook_attempts: int = 5
    webhook_backoff_s: float = 2.0
    """The wait before the second attempt; it doubles before each later one."""
    webhook_timeout_s: float = 10.0
    retention_days: float | None = None
    """Prune versions older than this many days on a schedule; None: only `broker prune`."""
    retention_interval_s: float = 3600.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> BrokerSettings:
        """Settings from `INTERLOCK_BROKER_*`; a bad value names its variable."""
        env = os.environ if environ is None else environ
        defaults = cls()
        retention = env.get("INTERLOCK_BROKER_RETENTION_DAYS")
        return cls(
            public_read=_flag(env, "INTERLOCK_BROKER_PUBLIC_READ", defaults.public_read),
            webhook_attempts=int(
                _number(env, "INTERLOCK_BROKER_WEBHOOK_ATTEMPTS", defaults.webhook_attempts, 1)
            ),
            webhook_backoff_s=_number(
                env, "INTERLOCK_BROKER_WEBHOOK_BACKOFF_S", defaults.webhook_backoff_s, 0
            ),
            webhook_timeout_s=_number(
                env, "INTERLOCK_BROKER_WEBHOOK_TIMEOUT_S", defaults.webhook_timeout_s, 0.1
            ),
            retention_days=None
            if not retention
            else _number(env, "INTERLOCK_BROKER_RETENTION_DAYS", 0, 0),
            retention_interval_s=_number(
                env, "INTERLOCK_BROKER_RETENTION_INTERVAL_S", defaults.retention_interval_s, 1
            ),
        )


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if not value:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise UserInputError(f"{name}={value!r}: expected true or false")


def _number(env: Mapping[str, str], name: str, default: float, lowest: float) -> float:
    value = env.get(name)
    if not value:
        return float(default)
    try:
        number = float(value)
    except ValueError:
        number = lowest - 1
    if number < lowest:
        raise UserInputError(f"{name}={value!r}: expected a number of at least {lowest:g}")
    return number
