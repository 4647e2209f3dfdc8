"""The migration pages: saved impact and dry-run reports, listed and rendered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from interlock.settings import Settings

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def test_no_report_yet_says_how_to_make_one(client: httpx.Client) -> None:
    page = client.get("/migrations")
    assert 200 == page.status_code
    assert "interlock migrate dry-run" in page.text
    assert [] == client.get("/api/migrations").json()


def test_a_saved_impact_report_is_listed_and_shown(
    client: httpx.Client, settings: Settings
) -> None:
    """`migrate impact --save` keeps the report; the dashboard lists it and renders it."""
    result = subprocess.run(
        [
            sys.executable, "-m", "interlock", "migrate", "impact", str(SHOP / "inventory" / "proposed" / "rename-price"),
            "--catalog", str(SHOP), "--contracts", str(SHOP / "orders" / "contracts"), "--save", str(settings.data_dir),
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert 1 == result.returncode, result.stderr
    (summary,) = client.get("/api/migrations").json()
    assert ("impact", False) == (summary["kind"], summary["ok"])
    page = client.get(f"/migrations/{summary['id']}")
    assert 200 == page.status_code
    assert "breaks consumers" in page.text
    assert 'href="/services/orders"' in page.text
    assert "price_cents" in page.text


def test_an_unknown_report_is_a_404(client: httpx.Client) -> None:
    assert 404 == client.get("/api/migrations/dry-run-20260101T000000000000Z").status_code
    assert 404 == client.get("/api/migrations/..%2Fsecrets").status_code
