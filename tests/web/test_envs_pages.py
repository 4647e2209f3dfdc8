"""The stubs and environments page: recorded environments and the health of their pieces."""

from __future__ import annotations

import json

import httpx

from interlock.envs import EnvironmentState, PieceState
from interlock.settings import Settings


def test_without_environments_the_page_says_how_to_start_one(client: httpx.Client) -> None:
    page = client.get("/stubs")
    assert 200 == page.status_code
    assert "interlock env up" in page.text
    assert [] == client.get("/api/environments").json()


def test_a_recorded_environment_shows_each_piece_and_its_health(
    client: httpx.Client, settings: Settings
) -> None:
    state_dir = settings.data_dir / "envs" / "orders-test"
    state_dir.mkdir(parents=True)
    state = EnvironmentState(
        name="orders-test",
        file="interlock-env.yaml",
        state_dir=str(state_dir),
        pieces=[PieceState(name="payments", kind="real", url="http://127.0.0.1:9", pid=None)],
        variables={"PAYMENTS_URL": "http://127.0.0.1:9"},
    )
    (state_dir / "state.json").write_text(json.dumps(state.to_json()))
    (environment,) = client.get("/api/environments").json()
    assert "orders-test" == environment["name"]
    assert [("payments", False)] == [(p["name"], p["healthy"]) for p in environment["pieces"]]
    page = client.get("/stubs").text
    assert "PAYMENTS_URL=http://127.0.0.1:9" in page
    assert "stopped" in page
