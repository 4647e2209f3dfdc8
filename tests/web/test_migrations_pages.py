"""The migration pages: saved reports grouped per proposal, each kind rendered as its own page."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import Settings, load_settings

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
# kept after the run, for a person to look at
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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


INTERLOCK = [sys.executable, "-m", "interlock"]
RENAME = SHOP / "inventory" / "proposed" / "rename-price"
CONTRACTS = str(SHOP / "orders" / "contracts")


def _run(*args: str, expect: int) -> None:
    result = subprocess.run([*INTERLOCK, *args], capture_output=True, text=True, timeout=180)
    assert expect == result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="module")
def proposal_reports(tmp_path_factory: pytest.TempPathFactory, postgres: Any) -> Path:
    """Every kind of report of the rename-price proposal, saved by the real commands: lint,
    impact and check from the files; apply (undone: orders' contract breaks) and then the dry
    run of what is still pending on a real PostgreSQL."""
    data_dir = tmp_path_factory.mktemp("reports")
    url = postgres.create_database("migrations_pages_rename")
    save = ("--save", str(data_dir))
    _run("migrate", "lint", str(RENAME), *save, expect=1)
    catalog = ("--catalog", str(SHOP), "--contracts", CONTRACTS)
    _run("migrate", "impact", str(RENAME), *catalog, *save, expect=1)
    _run("migrate", "check", str(RENAME), *catalog, *save, expect=1)
    _run("migrate", "apply", str(RENAME), "--database-url", url, "--contracts", CONTRACTS,
         "--backoff-ms", "50", *save, expect=1)  # fmt: skip
    _run("migrate", "dry-run", str(RENAME), "--database-url", url, "--contracts", CONTRACTS,
         *save, expect=1)  # fmt: skip
    return data_dir / "reports"


@pytest.fixture
def with_reports(proposal_reports: Path, settings: Settings) -> Settings:
    shutil.copytree(proposal_reports, settings.data_dir / "reports")
    return settings


@pytest.mark.postgres
def test_reports_of_one_proposal_share_one_verdict_and_its_reason(
    with_reports: Settings, client: httpx.Client
) -> None:
    """Lint, impact, check, apply and dry run of rename-price are one proposal: unsafe, because
    it breaks orders, owned by inventory, with the lint findings of the pending migration."""
    (proposal,) = client.get("/api/migrations/proposals").json()
    assert ("rename-price@3", "unsafe") == (proposal["id"], proposal["verdict"])
    assert proposal["reason"].startswith("breaks orders")
    assert ("inventory", ["orders"]) == (proposal["owner"], proposal["broken_consumers"])
    assert ["lint", "impact", "dry-run", "check", "apply"] == list(proposal["latest"])
    assert {"renaming-column"} <= {f["rule"] for f in proposal["findings"]}
    reports = client.get("/api/migrations").json()
    assert 5 == len(reports)
    assert {"rename-price@3"} == {r["proposal_id"] for r in reports}
    page = client.get("/migrations").text
    assert 'href="/services/inventory"' in page and 'href="/services/orders"' in page
    assert "renaming-column" in page
    assert 'href="/api/migrations"' in page and 'href="/api/migrations/proposals"' in page


@pytest.mark.postgres
def test_check_and_apply_reports_have_pages_of_their_own(
    with_reports: Settings, client: httpx.Client
) -> None:
    """A check shows its checklist, an apply its migrations and the undo; both link their
    siblings, and a report's JSON names its proposal."""
    latest = client.get("/api/migrations/proposals").json()[0]["latest"]
    check = client.get(f"/migrations/{latest['check']}").text
    assert "Check: fail" in check and "Rollback tested" in check
    assert "Impact:" not in check
    for kind in ("lint", "impact", "dry-run", "apply"):
        assert f'href="/migrations/{latest[kind]}"' in check
    applied = client.get(f"/migrations/{latest['apply']}").text
    assert "Apply: stopped" in applied and "rolled back" in applied
    assert "down migration" in applied
    twin = client.get(f"/api/migrations/{latest['apply']}").json()
    assert ("rename-price@3", "apply") == (twin["proposal_id"], twin["report"]["kind"])


@pytest.fixture
def reports_server(with_reports: Settings, tmp_path: Path) -> Iterator[str]:
    """The real server over examples/shop with the saved reports; its base URL."""
    port = free_port()
    settings = load_settings(
        catalog_dir=SHOP, data_dir=with_reports.data_dir, port=port, environ={}, cwd=tmp_path
    )
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.postgres
@pytest.mark.browser
@pytest.mark.server
def test_a_reviewer_goes_from_the_verdict_to_the_broken_consumer(
    chromium_browser: Any, reports_server: str, tmp_path: Path
) -> None:
    """In Chromium: the proposal's verdict and reason, its check report, a sibling (impact),
    and from there the broken consumer's service page."""
    page = chromium_browser.new_page(viewport={"width": 1300, "height": 1000})
    try:
        page.goto(f"{reports_server}/migrations")
        proposal = page.locator("section.proposal")
        assert 1 == proposal.count()
        assert "unsafe" == proposal.locator(".verdict").inner_text()
        assert proposal.locator(".reason").inner_text().startswith("breaks orders")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "migrations.png"), full_page=True)
        proposal.locator("tr.report a", has_text="check").click()
        assert "Check: fail" in page.locator("h1").inner_text()
        page.locator("nav.siblings a.sibling", has_text="impact").click()
        assert "breaks consumers" in page.locator("h1").inner_text()
        page.locator(".migration-report a[href='/services/orders']").first.click()
        page.wait_for_url(f"{reports_server}/services/orders")
        assert "orders" in page.locator("h1").inner_text()
    finally:
        page.close()
