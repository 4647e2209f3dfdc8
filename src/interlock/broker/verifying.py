"""`interlock contract verify --broker`: verify the pacts a broker selects for a provider
version, and publish each pact's result back to it.

Pending pacts (never verified by the provider's branch) are verified with their
interactions marked pending, so their failures are reported and published but do not fail.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from interlock.broker.client import BrokerClient, BrokerPact
from interlock.contracts import VerificationReport, VerifyOptions, verify_pacts
from interlock.errors import UserInputError


def verify_with_broker(
    broker_url: str,
    options: VerifyOptions,
    provider_version: str,
    *,
    provider_branch: str | None = None,
    publish: bool = False,
    selectors: list[dict[str, Any]] | None = None,
    token: str | None = None,
) -> VerificationReport:
    """Fetch the pacts the broker selects for `options.provider`, verify them against the
    running provider, and (with `publish`) publish one result per pact."""
    with BrokerClient(broker_url, token) as client:
        pacts = client.pacts_for_verification(
            options.provider, selectors, provider_branch, include_pending=True
        )
        if not pacts:
            raise UserInputError(
                f"broker {broker_url}: no pact to verify for provider {options.provider!r}"
            )
        with tempfile.TemporaryDirectory(prefix="interlock-broker-") as folder:
            files = [_write(Path(folder), index, pact) for index, pact in enumerate(pacts)]
            report = verify_pacts(files, options)
        names = {str(file): _name(pact) for file, pact in zip(files, pacts, strict=True)}
        results = tuple(
            replace(r, pact_file=names.get(r.pact_file, r.pact_file)) for r in report.results
        )
        report = replace(report, results=results)
        if publish:
            for pact in pacts:
                mine = [r for r in report.results if r.pact_file == _name(pact)]
                success = not any(r.status in ("failed", "error") for r in mine)
                tests = [
                    {"interactionDescription": r.description, "success": r.status == "passed"}
                    for r in mine
                ]
                client.publish_result(
                    pact, options.provider, provider_version, success, provider_branch, tests
                )
    return report


def _name(pact: BrokerPact) -> str:
    consumer = pact.document.get("consumer", {}).get("name", "?")
    return f"{consumer} from the broker: {pact.description}"


def _write(folder: Path, index: int, pact: BrokerPact) -> Path:
    document = json.loads(json.dumps(pact.document))
    if pact.pending:
        for interaction in document.get("interactions", []) + document.get("messages", []):
            interaction["pending"] = True
    path = folder / f"{index:03d}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
