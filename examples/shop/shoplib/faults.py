"""`SHOP_FAULT`: make a service misbehave on purpose, for root-cause demos.

`error:0.5` answers half of the requests with 500, `latency:300` delays each by 300 ms;
both may be combined with a comma (`latency:200,error:0.1`). `/health` is never affected.
With `SHOP_FAULT_ADMIN=1` the fault can also be changed at run time (`POST /_fault`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """How a service misbehaves: a share of failed requests and an added delay."""

    error_rate: float = 0.0
    latency_ms: int = 0

    def should_fail(self) -> bool:
        return self.error_rate > 0 and random.random() < self.error_rate


FAULT_SYNTAX = "expected 'error:<rate 0..1>' or 'latency:<ms>', comma-separated"


@dataclass
class FaultSwitch:
    """The fault a running service applies now; `POST /_fault` replaces it."""

    current: Fault


def parse_fault(text: str | None) -> Fault:
    """`error:0.5`, `latency:300` or both comma-separated; empty means no fault."""
    try:
        return fault_from_text(text)
    except ValueError:
        raise SystemExit(f"SHOP_FAULT={text!r}: {FAULT_SYNTAX}") from None


def fault_from_text(text: str | None) -> Fault:
    """Like `parse_fault`, but a bad value raises `ValueError` (for the run-time switch)."""
    if not text:
        return Fault()
    error_rate, latency_ms = 0.0, 0
    for part in text.split(","):
        kind, _, value = part.strip().partition(":")
        if kind == "error":
            error_rate = float(value)
            if not 0.0 <= error_rate <= 1.0:
                raise ValueError(value)
        elif kind == "latency":
            latency_ms = int(value)
            if latency_ms < 0:
                raise ValueError(value)
        else:
            raise ValueError(kind)
    return Fault(error_rate, latency_ms)
