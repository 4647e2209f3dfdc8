"""The checks after a migration is applied: every consumer's contract query PREPAREd against
the new schema, and the services' health URLs answering 2xx. A failure undoes the migration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import psycopg

from interlock.contracts import ContractQuery
from interlock.migrations.apply_model import Verification
from interlock.migrations.dryrun import check_contract


def verify(
    conn: psycopg.Connection[Any],
    contracts: Sequence[ContractQuery],
    health_urls: Sequence[str],
    timeout_s: float,
) -> list[Verification]:
    """Each contract query and each health URL, in that order."""
    found = []
    for query in contracts:
        check = check_contract(conn, query)
        found.append(
            Verification(
                "contract", f"{query.consumer}/{query.name}", check.error is None, check.error
            )
        )
    found += [_health(url, timeout_s) for url in health_urls]
    return found


def _health(url: str, timeout_s: float) -> Verification:
    try:
        response = httpx.get(url, timeout=timeout_s)
    except httpx.HTTPError as error:
        return Verification("health", url, False, f"no answer: {error}")
    if response.is_success:
        return Verification("health", url, True)
    return Verification("health", url, False, f"HTTP {response.status_code}")
