"""Chapter 7 of the demo against a real server: the shop's pacts and database contract
published, verified, deployed to production; can-i-deploy says no for the rename migration."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from interlock.demo import find_shop
from interlock.demo.broker_chapter import tell_broker_chapter
from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import load_settings

pytestmark = pytest.mark.server

# What chapters 2 and 4 found in a full run: every pact passed against the running shop;
# the rename breaks orders' query, the expand/contract version breaks nothing.
STORY = {
    "contracts": [
        {"consumer": c, "provider": p, "passed": 1, "total": 1, "ok": True, "skipped": ""}
        for c, p in [
            ("gateway", "inventory"),
            ("gateway", "orders"),
            ("orders", "inventory"),
            ("orders", "payments"),
        ]
    ],
    "migrations": [
        {"proposal": "rename-price", "broken_services": ["orders"]},
        {"proposal": "expand-price", "broken_services": []},
    ],
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`interlock server` over the shop's catalog on a free port; its root URL."""
    port = free_port()
    settings = load_settings(
        catalog_dir=find_shop(), data_dir=tmp_path / "data", port=port, environ={}, cwd=tmp_path
    )
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


def test_broker_chapter_says_no_for_the_rename_migration(server: str) -> None:
    """The rename's version may not go to production (orders' database contract fails
    there); the expand/contract version may; each deployment is a change event."""
    done, line = tell_broker_chapter(f"{server}/broker", find_shop(), STORY, server)

    assert {"gateway", "inventory", "orders", "payments"} == set(done.deployed)
    assert 5 == len(done.published)  # four pacts and orders' database contract
    assert done.verified["orders→inventory"] is True
    assert done.verified["orders→inventory (database)"] is True
    assert False is done.answers["rename-price"]["deployable"]
    assert True is done.answers["expand-price"]["deployable"]
    assert "can-i-deploy inventory 1.1.0-rename-price to production: [red]no[/]" in line
    link = f"{server}/contracts/can-i-deploy?pacticipant=inventory&version=1.1.0-rename-price"
    assert link in line

    answer = httpx.get(line.rsplit(" — ", 1)[1].replace("/contracts/", "/api/contracts/")).json()
    assert False is answer["answer"]["deployable"]
    failed = [r for r in answer["answer"]["rows"] if r["success"] is False]
    assert [("orders", "database")] == [(r["consumer"], r["specification"]) for r in failed]

    changes = httpx.get(f"{server}/api/changes").json()
    deploys = {(c["service"], c["version"], c["environment"]) for c in changes}
    assert {(s, "1.0.0", "production") for s in done.deployed} <= deploys

    contracts = httpx.get(f"{server}/api/contracts").json()["broker"]
    states = {(s["consumer"], s["provider"], s["specification"]): s for s in contracts}
    assert "verified" == states[("gateway", "orders", "pact")]["state"]
    assert "verified" == states[("orders", "inventory", "database")]["state"]
    assert [{"environment": "production", "consumerVersion": "1.0.0",
             "providerVersion": "1.0.0", "verified": True}] == (
        states[("gateway", "orders", "pact")]["environments"]
    )  # fmt: skip
