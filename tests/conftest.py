"""Suite-wide fixtures: a real PostgreSQL started from the local binaries, a real browser.

Tests marked `postgres`, `browser` or `server` must not be skipped: a skip of one of them
is turned into a failure, so a CI machine that lacks a piece cannot pass by silence.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.envs import PostgresInstance, start_postgres

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
MUST_RUN = ("postgres", "browser", "server")
CHROMIUM = Path("/usr/bin/chromium")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    needs = [m for m in MUST_RUN if item.get_closest_marker(m)]
    if report.skipped and needs and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"a test that needs {', '.join(needs)} was skipped: {report.longrepr}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresInstance]:
    """A real PostgreSQL server for the whole session (`interlock.envs.start_postgres`).

    `.url(db)`, `.create_database(name) -> url`, `.host`, `.port`, `.user`.
    """
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    """Debian's chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError("chromium not installed: run scripts/ensure-system-deps")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()
