"""The /chaos page and its JSON twins, on a journal written by a real experiment run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from interlock.chaos import run_experiment_data
from interlock.server import create_app
from interlock.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    return Settings(data_dir=tmp_path / "data", catalog_dir=catalog)


@pytest.fixture
def client(
    settings: Settings, in_process_client: Callable[[FastAPI], httpx.Client]
) -> httpx.Client:
    app = create_app(settings)
    return in_process_client(app)


EXPERIMENT = {
    "title": "the answer holds",
    "description": "a probe whose value must stay within a range",
    "steady-state-hypothesis": {
        "title": "the answer is 42",
        "probes": [
            {
                "type": "probe",
                "name": "answer",
                "tolerance": {"type": "range", "range": [40, 44]},
                "provider": {
                    "type": "python",
                    "module": "statistics",
                    "func": "fmean",
                    "arguments": {"data": [40, 44]},
                },
            }
        ],
    },
    "method": [
        {
            "type": "action",
            "name": "middle",
            "provider": {
                "type": "python",
                "module": "statistics",
                "func": "median",
                "arguments": {"data": [1, 2, 3]},
            },
        }
    ],
}


def test_without_journals_the_page_says_how_to_run_an_experiment(client: httpx.Client) -> None:
    """No experiment yet: the commands to run one; an empty twin."""
    assert "interlock chaos run" in client.get("/chaos").text
    assert [] == client.get("/api/chaos").json()


def test_a_run_shows_its_verdict_steady_states_and_journal(
    client: httpx.Client, settings: Settings
) -> None:
    """A kept journal is listed with its verdict and probe values; its page links the journal twin."""
    run = run_experiment_data(EXPERIMENT, settings.data_dir)
    (listed,) = client.get("/api/chaos").json()
    assert ("the answer holds", True) == (listed["title"], listed["passed"])
    assert 42 == listed["before"]["probes"][0]["output"]
    name = run.journal_path.stem
    page = client.get("/chaos").text
    assert f'href="/chaos/journals/{name}"' in page
    journal_page = client.get(f"/chaos/journals/{name}").text
    assert f'href="/api/chaos/journals/{name}"' in journal_page
    assert "steady state held" in journal_page
    assert run.journal == client.get(f"/api/chaos/journals/{name}").json()
    assert 404 == client.get("/api/chaos/journals/nope").status_code
