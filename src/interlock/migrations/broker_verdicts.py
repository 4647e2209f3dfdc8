"""The dry run's verdict on database contracts, published to a contract broker.

Each consumer's latest database contract for the database comes from the broker, is replayed
on the migrated copy with the others, and one verification result per consumer contract is
published under the database owner's version: can-i-deploy for that version then says no
while a consumer version deployed in the target environment would break.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from interlock.broker import (
    BrokerClient,
    BrokerDatabaseContract,
    PublishedVerdict,
    fetch_database_contracts,
    publish_database_verdict,
)
from interlock.contracts import ContractQuery
from interlock.errors import UserInputError
from interlock.migrations.checks_report import render_dry_run_text as render_dry_run_text_report
from interlock.migrations.dryrun import DryRunReport, dry_run
from interlock.migrations.model import Migration
from interlock.migrations.scratch_copy import source_name


@dataclass(frozen=True)
class BrokerTarget:
    """Where the verdicts go: the broker, the owner's version, the database's name there
    (None: the database the source URL names) and a token with the verify role."""

    url: str
    version: str
    database: str | None = None
    token: str | None = None


def broker_target(
    url: str | None, version: str | None, database: str | None, token: str | None
) -> BrokerTarget | None:
    """The target the dry run's flags name, or None without --broker."""
    if url is None:
        for flag, value in (("--version", version), ("--database", database)):
            if value is not None:
                raise UserInputError(f"{flag}: only with --broker URL")
        return None
    if not version:
        raise UserInputError("--version: required with --broker (the database owner's version)")
    return BrokerTarget(url, version, database, token)


def dry_run_with_broker(
    source_url: str,
    migrations: Sequence[Migration],
    target: BrokerTarget | None,
    *,
    contracts: Sequence[ContractQuery] = (),
    **options: Any,
) -> tuple[DryRunReport, list[PublishedVerdict] | None]:
    """The dry run with the broker's database contracts replayed too (besides `contracts`),
    and each of them given the owner version's verdict in the broker; without a target, the
    plain dry run (and None)."""
    if target is None:
        return dry_run(source_url, migrations, contracts=contracts, **options), None
    database = target.database or source_name(source_url)
    with BrokerClient(target.url, target.token) as client:
        fetched = fetch_database_contracts(client, database)
        queries = [*contracts, *(q for contract in fetched for q in contract.queries)]
        report = dry_run(source_url, migrations, contracts=queries, **options)
        blocker = _blocker(report)
        verdicts = [
            publish_database_verdict(client, c, target.version, _errors(report, c), blocker)
            for c in fetched
        ]
    return report, verdicts


def _errors(report: DryRunReport, contract: BrokerDatabaseContract) -> dict[str, str | None]:
    """Each of the contract's queries by name, with its error on the migrated copy."""
    source = contract.queries[0].source if contract.queries else None
    return {c.query.name: c.error for c in report.contracts if c.query.source == source}


def _blocker(report: DryRunReport) -> str | None:
    """Why the replay says nothing about the new schema: a migration that did not apply."""
    failed = report.failed_statements
    if not failed:
        return None
    first = failed[0]
    return f"migration {first.migration} failed at {first.file}:{first.line}: the schema was not reached"


def verdicts_to_json(verdicts: Sequence[PublishedVerdict]) -> list[dict[str, Any]]:
    return [v.to_json() for v in verdicts]


def render_dry_run_text(
    report: DryRunReport, verdicts: Sequence[PublishedVerdict] | None, to: Console
) -> None:
    """The dry run's text report, then one line per result published to the broker."""
    render_dry_run_text_report(report, to)
    if verdicts is None:
        return
    if not verdicts:
        to.print("broker: no database contract to verify")
    for v in verdicts:
        verdict = "[green]success[/]" if v.success else "[red]failure[/]"
        to.print(
            f"broker: {v.database} {v.version} on {v.consumer} {v.consumer_version}'s "
            f"database contract: {verdict} published"
            + (f" ({'; '.join(v.failures)})" if v.failures else "")
        )
