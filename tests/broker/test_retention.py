"""Retention: old versions nothing needs are removed; what the matrix, can-i-deploy and
for-verification read is kept, so their answers are the same before and after a prune."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from interlock.broker import api, prune_versions
from interlock.cli.main import app
from interlock.store import create_engine_for, upgrade_database

BASE = "http://broker.test/broker"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite store."""
    url = f"sqlite:///{tmp_path / 'interlock.db'}"
    upgrade_database(url)
    made = create_engine_for(url)
    yield made
    made.dispose()


def _history(engine: Engine, make_pact: Callable[..., dict[str, Any]]) -> None:
    """web 1-8 on main (contents alternate), orders 1-6 on main verifying some of them;
    web 2 and orders 2 deployed to production, web 5 released there; web 7 tagged rc."""
    api.create_environment(engine, BASE, {"name": "production", "production": True})
    for n in range(1, 9):
        pact = json.dumps(make_pact("web", "orders", status=f"s{n % 3}"))
        api.put_version(engine, BASE, "web", f"{n}", {"branch": "main"})
        api.put_pact(engine, BASE, "orders", "web", f"{n}", pact)
    for n in range(1, 7):
        api.put_version(engine, BASE, "orders", f"{n}", {"branch": "main"})
        for consumer_version in (n, n + 1):
            found = api.get_pact(engine, BASE, "orders", "web", version=str(consumer_version))
            sha = found["_links"]["self"]["href"].rsplit("/", 1)[1]
            if "pact-version" not in found["_links"]["self"]["href"]:
                sha = found["_links"]["pb:pact-version"]["href"].rsplit("/", 1)[1]
            verdict = {"success": n != 3, "providerApplicationVersion": f"{n}"}
            api.publish_verification(engine, BASE, "orders", "web", sha, verdict)
    api.record_deployment(engine, BASE, "web", "2", "production", "deployed", {})
    api.record_deployment(engine, BASE, "orders", "2", "production", "deployed", {})
    api.record_deployment(engine, BASE, "web", "5", "production", "released", {})
    api.put_tag(engine, BASE, "web", "7", "rc")


def _answers(engine: Engine) -> dict[str, Any]:
    """What the matrix, can-i-deploy and for-verification say about the kept versions."""

    def rows(answer: dict[str, Any]) -> list[Any]:
        return sorted(
            (
                r["consumer"]["version"]["number"],
                (r["provider"]["version"] or {}).get("number"),
                (r["verificationResult"] or {}).get("success"),
            )
            for r in answer["matrix"]
        )

    found: dict[str, Any] = {}
    for who, version in [("web", "2"), ("orders", "2"), ("web", "8"), ("orders", "6")]:
        params = [("pacticipant", who), ("version", version), ("environment", "production")]
        answer = api.can_i_deploy(engine, BASE, params)
        found[f"can-i-deploy {who} {version}"] = (answer["summary"], rows(answer))
    # The matrix's latest result per consumer version and provider (what can-i-deploy and
    # the Pact Broker's UI read); rows of pruned provider versions are history, not answers.
    for params in (
        [("q[][pacticipant]", "web"), ("q[][version]", "2"), ("latestby", "cvp")],
        [("q[][pacticipant]", "web"), ("q[][latest]", "true"), ("latestby", "cvp")],
        [("q[][pacticipant]", "web"), ("q[][version]", "7"), ("latestby", "cvp")],
        [("q[][pacticipant]", "web"), ("q[][version]", "5"), ("latestby", "cvp")],
    ):
        found[f"matrix {params}"] = rows(api.matrix(engine, BASE, params))
    selected = api.for_verification(engine, BASE, "orders", {"includePendingStatus": True})
    found["for-verification"] = sorted(
        (p["shortDescription"], p["verificationProperties"].get("pending"))
        for p in selected["_embedded"]["pacts"]
    )
    return found


def test_prune_never_changes_what_the_matrix_answers(
    engine: Engine, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """Old versions go; deployed, released, branch heads, tagged and matrix-needed stay, and
    can-i-deploy, the matrix's latest results and for-verification answer as before."""
    _history(engine, make_pact)
    before = _answers(engine)

    dry = prune_versions(engine, dry_run=True)
    report = prune_versions(engine)

    assert dry.removed_versions == report.removed_versions
    assert 14 == report.versions
    assert report.removed_versions > 0
    assert {"deployedOrReleased": 3, "branchHead": 2, "latestWithTag": 1} == {
        k: report.kept_because[k] for k in ("deployedOrReleased", "branchHead", "latestWithTag")
    }
    assert before == _answers(engine)
    assert 0 == prune_versions(engine).removed_versions  # nothing more to remove


def test_prune_keeps_young_versions(
    engine: Engine, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """With a retention period, nothing younger than it is removed."""
    _history(engine, make_pact)
    assert 0 == prune_versions(engine, older_than_days=1).removed_versions


def test_prune_command_prints_the_figures(
    engine: Engine, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """`interlock broker prune --older-than-days 0 -f json` reports what it removed and why."""
    _history(engine, make_pact)
    result = CliRunner().invoke(
        app,
        [
            "broker",
            "prune",
            "--older-than-days",
            "0",
            "--database-url",
            str(engine.url),
            "-f",
            "json",
        ],
    )
    assert 0 == result.exit_code, result.output
    figures = json.loads(result.output)
    assert 14 == figures["versions"]
    assert figures["removedVersions"] > 0
    assert "neededByMatrix" in figures["keptBecause"]
