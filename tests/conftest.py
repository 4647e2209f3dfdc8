"""Suite-wide fixtures: a real PostgreSQL started from the local binaries, a real browser.

Tests marked `postgres`, `browser` or `server` must not be skipped: a skip of one of them
is turned into a failure, so a CI machine that lacks a piece cannot pass by silence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from interlock.envs import PostgresInstance, start_postgres

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
_EXIT_STATUS = pytest.StashKey[int]()
MUST_RUN = ("postgres", "browser", "server")
CHROMIUM = Path("/usr/bin/chromium")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """End the test process with pytest's own status once everything is reported.

    After a whole run (with chdb's in-process ClickHouse engine, Chromium's driver,
    psycopg and gevent loaded in one interpreter) CPython's teardown crashed with SIGSEGV
    in a C extension after the summary was printed, turning a green run into exit 139.
    Nothing is left to do at that point, so the interpreter's teardown is skipped.
    """
    status = config.stash.get(_EXIT_STATUS, None)
    if status is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    needs = [m for m in MUST_RUN if item.get_closest_marker(m)]
    if report.skipped and needs and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"a test that needs {', '.join(needs)} was skipped: {report.longrepr}"


class _PortalTransport(httpx.BaseTransport):
    """Sync httpx transport that sends each request to the ASGI app through a portal."""

    def __init__(self, portal: BlockingPortal, app: FastAPI) -> None:
        self._portal = portal
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        request.stream = httpx.ByteStream(request.read())
        answer = await self._asgi.handle_async_request(request)
        body = b"".join([chunk async for chunk in answer.stream])  # type: ignore[union-attr]
        return httpx.Response(answer.status_code, headers=answer.headers, content=body)


@pytest.fixture
def in_process_client() -> Iterator[Callable[[FastAPI], httpx.Client]]:
    """Opens an httpx client on an app in process after its startup (lifespan run); closed,
    and the app shut down, when the test ends.

    A blocking portal runs the app's event loop in a thread, so tests stay plain functions.
    """
    with ExitStack() as stack:

        def open_client(app: FastAPI) -> httpx.Client:
            portal = stack.enter_context(start_blocking_portal())
            stack.enter_context(portal.wrap_async_context_manager(app.router.lifespan_context(app)))
            transport = _PortalTransport(portal, app)
            return stack.enter_context(
                httpx.Client(transport=transport, base_url="http://testserver")
            )

        yield open_client


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
