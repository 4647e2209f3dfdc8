"""Chapter 7 of the demo: the shop's contracts in the broker. Pacts and orders' database
contract published, chapter 2's verifications and chapter 4's migration verdicts recorded,
every service deployed to `production`, and can-i-deploy asked for each migration.

Talks to the demo's own server over HTTP, as a team's CI would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from interlock.broker import BrokerClient, BrokerPact
from interlock.errors import UserInputError

ENVIRONMENT = "production"
VERSION = "1.0.0"
"""The version of every shop service and contract the demo runs."""
DATABASE_OWNER = "inventory"


def proposal_version(proposal: str) -> str:
    """The inventory version that would ship a proposed migration."""
    return f"1.1.0-{proposal}"


@dataclass
class BrokerChapter:
    """What the chapter recorded, and can-i-deploy's answer for each migration's version."""

    published: list[str] = field(default_factory=list)
    verified: dict[str, bool] = field(default_factory=dict)
    deployed: list[str] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "verified": self.verified,
            "deployed": self.deployed,
            "can_i_deploy": self.answers,
        }


def _provider(pact: BrokerPact) -> str:
    """A pact's provider, or a database contract's database."""
    provider = pact.document.get("provider") or pact.document.get("database")
    return str(provider.get("name") if isinstance(provider, dict) else provider)


def _contract_files(shop: Path) -> list[Path]:
    return sorted((shop / "pacts").glob("*.json")) + sorted(
        shop.glob("*/contracts/*.dbcontract.yaml")
    )


def _verify(
    client: BrokerClient,
    provider: str,
    version: str,
    verdicts: dict[str, bool],
    kind: str,
    branch: str = "main",
) -> dict[str, bool]:
    """Publish `provider` `version`'s (on `branch`) verdict on each contract of `kind`
    ("pact" or "database") that a consumer with a verdict published."""
    published: dict[str, bool] = {}
    for consumer in verdicts:
        for pact in client.published_contracts(consumer, VERSION):
            is_database = pact.description.startswith("database ")
            if _provider(pact) != provider or (kind == "database") != is_database:
                continue
            client.publish_result(pact, provider, version, verdicts[consumer], branch=branch)
            label = f"{consumer}→{provider}" + (" (database)" if is_database else "")
            published[label] = verdicts[consumer]
    return published


def tell_broker_chapter(
    broker_url: str, shop: Path, story: dict[str, Any], dashboard_url: str
) -> tuple[BrokerChapter, str]:
    """Run the chapter against the broker at `broker_url`; the results and the story's line.

    `story` holds what chapters 2 and 4 found: the pairs verified against the running services
    and each proposed migration's broken services.
    """
    pairs = [p for p in story.get("contracts", []) if not p.get("skipped")]
    checks = story.get("migrations", [])
    if not pairs:
        raise UserInputError("chapter 7 needs chapter 2's verifications (none ran)")
    done = BrokerChapter()
    with BrokerClient(broker_url) as client:
        services = sorted({p["consumer"] for p in pairs} | {p["provider"] for p in pairs})
        client.publish(_contract_files(shop), VERSION, branch="main")
        done.published = [f.name for f in _contract_files(shop)]
        for provider in services:
            verdicts = {p["consumer"]: bool(p["ok"]) for p in pairs if p["provider"] == provider}
            done.verified.update(_verify(client, provider, VERSION, verdicts, "pact"))
        # Today's schema serves orders' queries: chapter 4's impact found no break before
        # the proposals, so inventory 1.0.0 verifies the database contract.
        done.verified.update(_verify(client, DATABASE_OWNER, VERSION, {"orders": True}, "database"))
        try:
            client.create_environment(ENVIRONMENT, production=True)
        except UserInputError as error:
            if "409" not in str(error):
                raise
        for service in services:
            client.record_deployment(service, VERSION, ENVIRONMENT)
            done.deployed.append(service)
        for check in checks:
            version = proposal_version(check["proposal"])
            # A migration changes the schema, not inventory's HTTP code: the running
            # service's pact results (chapter 2) stand for this version too.
            http = {p["consumer"]: bool(p["ok"]) for p in pairs if p["provider"] == DATABASE_OWNER}
            branch = check["proposal"]
            _verify(client, DATABASE_OWNER, version, http, "pact", branch)
            database = {"orders": "orders" not in check["broken_services"]}
            _verify(client, DATABASE_OWNER, version, database, "database", branch)
            answer = client.can_i_deploy(DATABASE_OWNER, version, ENVIRONMENT)
            done.answers[check["proposal"]] = answer["summary"]
    return done, _line(done, dashboard_url)


def _line(done: BrokerChapter, dashboard_url: str) -> str:
    parts = []
    link = ""
    for proposal, summary in done.answers.items():
        version = proposal_version(proposal)
        verdict = "[green]yes[/]" if summary["deployable"] else "[red]no[/]"
        parts.append(f"can-i-deploy {DATABASE_OWNER} {version} to {ENVIRONMENT}: {verdict}")
        if not summary["deployable"] and not link:
            query = urlencode(
                {"pacticipant": DATABASE_OWNER, "version": version, "environment": ENVIRONMENT}
            )
            link = f"{dashboard_url}/contracts/can-i-deploy?{query}"
    failed = sum(1 for ok in done.verified.values() if not ok)
    return (
        f"[bold]7[/] {len(done.published)} contracts published to the broker, "
        f"{len(done.verified)} verifications recorded ({failed} failed), "
        f"{len(done.deployed)} services deployed to {ENVIRONMENT}; {' · '.join(parts)}"
        f" — {link or dashboard_url + '/contracts'}"
    )
