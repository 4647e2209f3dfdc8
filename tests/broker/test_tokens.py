"""Broker tokens and roles: every write refused without the right role, reads from other
machines only with a token, every write in the audit trail; the real Pact CLI included."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from interlock.broker import create_token, revoke_token
from interlock.cli.main import app
from interlock.errors import UserInputError
from interlock.server import create_app
from interlock.settings import load_settings
from interlock.store import create_engine_for, upgrade_database

PACT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pact"
runner = CliRunner()
pytestmark = pytest.mark.server


def _token(broker: Any, role: str, name: str | None = None) -> str:
    args = ["broker", "token", "create", "--role", role, "--database-url", broker.database_url]
    result = runner.invoke(app, [*args, *(["--name", name] if name else []), "-f", "json"])
    assert 0 == result.exit_code, result.output
    secret: str = json.loads(result.output)["token"]
    return secret


def _audit(broker: Any, count: int) -> list[dict[str, Any]]:
    """`interlock broker audit`, once it shows `count` writes (the server writes its trail
    in batches, within a fraction of a second)."""
    deadline = time.monotonic() + 10
    while True:
        result = runner.invoke(
            app, ["broker", "audit", "--database-url", broker.database_url, "-f", "json"]
        )
        assert 0 == result.exit_code, result.output
        entries: list[dict[str, Any]] = json.loads(result.output)
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


def _pact(broker: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PACT), "broker", *args, "--broker-base-url", broker.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pact_cli_publish_is_refused_without_a_token_and_accepted_with_one(
    broker: Any, tmp_path: Path, make_pact_file: Callable[..., Path]
) -> None:
    """Once a token exists, `pact broker publish` needs --broker-token; both attempts audited."""
    token = _token(broker, "publish", "ci-web")
    make_pact_file(tmp_path / "pacts", "web", "orders")
    publish = ["publish", str(tmp_path / "pacts"), "--consumer-app-version", "1.0.0"]

    refused = _pact(broker, *publish, "--retries", "0")
    assert 0 != refused.returncode
    assert "needs a token with a role that may publish" in refused.stdout + refused.stderr
    with broker.client() as client:
        assert 404 == client.get("/pacts/provider/orders/consumer/web/version/1.0.0").status_code

    accepted = _pact(broker, *publish, "--broker-token", token)
    assert 0 == accepted.returncode, accepted.stdout + accepted.stderr
    with broker.client() as client:
        assert 200 == client.get("/pacts/provider/orders/consumer/web/version/1.0.0").status_code

    entries = _audit(broker, 2)
    writes = [(e["actor"], e["role"], e["method"], e["status"]) for e in entries]
    assert ("anonymous", None, "POST", 401) in writes
    assert ("ci-web", "publish", "POST", 200) in writes
    assert all(e["path"] == "/contracts/publish" for e in entries)


def _writes(make_pact: Callable[..., dict[str, Any]]) -> list[tuple[str, str, Any, str]]:
    pact = json.dumps(make_pact("web", "orders"))
    published = {
        "pacticipantName": "web",
        "pacticipantVersionNumber": "2.0.0",
        "contracts": [
            {
                "consumerName": "web",
                "providerName": "orders",
                "specification": "pact",
                "contentType": "application/json",
                "content": base64.b64encode(pact.encode()).decode(),
            }
        ],
    }
    return [
        ("PUT", "/pacts/provider/orders/consumer/web/version/1.0.0", pact, "publish"),
        ("POST", "/contracts/publish", published, "publish"),
        ("PUT", "/pacticipants/web", {"mainBranch": "main"}, "publish"),
        ("PUT", "/pacticipants/web/versions/1.0.0", {}, "publish"),
        ("PUT", "/pacticipants/web/branches/main/versions/1.0.0", None, "publish"),
        ("PUT", "/pacticipants/web/versions/1.0.0/tags/prod", None, "publish"),
        ("POST", "/environments", {"name": "production"}, "admin"),
        (
            "POST",
            "/pacticipants/web/versions/1.0.0/deployed-versions/environment/production",
            {},
            "deploy",
        ),
        (
            "POST",
            "/webhooks",
            {
                "events": [{"name": "contract_published"}],
                "request": {"method": "POST", "url": "http://127.0.0.1:9/"},
            },
            "admin",
        ),
        ("DELETE", "/pacticipants/web/versions/1.0.0/tags/prod", None, "admin"),
    ]


GRANTED = {
    "read": set(),
    "publish": {"publish", "deploy"},
    "verify": {"verify", "deploy"},
    "admin": {"publish", "verify", "deploy", "admin"},
}


def test_every_write_is_refused_without_the_right_role(
    broker: Any, make_pact: Callable[..., dict[str, Any]]
) -> None:
    """Each write: 401 with no token or an unknown one, 403 for a role that does not grant
    it (in the Pact Broker's error shape), done for a role that does."""
    tokens = {role: _token(broker, role) for role in GRANTED}
    for method, path, body, needed in _writes(make_pact):
        content = body if isinstance(body, str) else json.dumps(body) if body else None
        for token in (None, "ilk_not-a-token"):
            with broker.client(token) as client:
                reply = client.request(method, path, content=content)
            assert 401 == reply.status_code, (method, path)
            assert reply.json()["errors"]["base"] == [reply.json()["error"]]
        for role, granted in GRANTED.items():
            with broker.client(tokens[role]) as client:
                reply = client.request(method, path, content=content)
            if needed in granted:
                assert reply.status_code < 400, (role, method, path, reply.text)
            else:
                assert 403 == reply.status_code, (role, method, path)
                assert role in reply.json()["error"]
    with broker.client() as client:
        pact = client.get("/pacts/provider/orders/consumer/web/version/1.0.0").json()
    results = pact["_links"]["pb:publish-verification-results"]["href"]
    verdict = {"success": True, "providerApplicationVersion": "3.0.0"}
    for role in ("read", "publish"):
        with broker.client(tokens[role]) as client:
            assert 403 == client.post(results, json=verdict).status_code
    for role in ("verify", "admin"):
        with broker.client(tokens[role]) as client:
            assert 201 == client.post(results, json=verdict).status_code


def test_a_revoked_token_is_refused(broker: Any) -> None:
    """Revoking a token makes the broker answer 401 to it."""
    token = _token(broker, "admin", "ops")
    with broker.client(token) as client:
        assert 201 == client.post("/environments", json={"name": "staging"}).status_code
    engine = create_engine_for(broker.database_url)
    try:
        revoke_token(engine, "ops")
    finally:
        engine.dispose()
    with broker.client(token) as client:
        reply = client.post("/environments", json={"name": "test"})
    assert 401 == reply.status_code
    assert "Bearer" in reply.headers["www-authenticate"]


def _from_elsewhere(tmp_path: Path, *, token: bool, public_read: str = "") -> int:
    """The status of GET /broker/pacticipants from 10.1.2.3 (not loopback)."""
    monkey = pytest.MonkeyPatch()
    if public_read:
        monkey.setenv("INTERLOCK_BROKER_PUBLIC_READ", public_read)
    else:
        monkey.delenv("INTERLOCK_BROKER_PUBLIC_READ", raising=False)
    try:
        folder = tmp_path / f"elsewhere-{token}-{public_read}"
        settings = load_settings(data_dir=folder, catalog_dir=tmp_path, environ={}, cwd=tmp_path)
        upgrade_database(settings.database_url)
        engine = create_engine_for(settings.database_url)
        server = create_app(settings)
        server.state.engine = engine
        secret = create_token(engine, "read").secret
        headers = {"Authorization": f"Bearer {secret}"} if token else {}

        async def ask() -> int:
            transport = httpx.ASGITransport(app=server, client=("10.1.2.3", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                return (await client.get("/broker/pacticipants", headers=headers)).status_code

        try:
            return asyncio.run(ask())
        finally:
            engine.dispose()
    finally:
        monkey.undo()


def test_reads_from_another_machine_need_a_token_unless_configured(tmp_path: Path) -> None:
    """A client that is not on loopback reads only with a token, or with public reads on."""
    assert 401 == _from_elsewhere(tmp_path, token=False)
    assert 200 == _from_elsewhere(tmp_path, token=True)
    assert 200 == _from_elsewhere(tmp_path, token=False, public_read="true")


def test_token_create_rejects_an_unknown_role(tmp_path: Path) -> None:
    """--role outside read/publish/verify/admin: one line naming the flag, exit 2."""
    url = f"sqlite:///{tmp_path / 'interlock.db'}"
    result = runner.invoke(
        app, ["broker", "token", "create", "--role", "root", "--database-url", url]
    )
    assert 2 == result.exit_code
    assert "--role" in result.output and "'root'" in result.output


def test_interlock_clients_send_their_token(
    broker: Any, order_provider: str, tmp_path: Path, make_pact_file: Callable[..., Path]
) -> None:
    """`interlock broker publish` and `contract verify --broker --publish` pass --broker-token;
    without one, the publish is refused with a user error naming the 401 (exit 2 from main)."""
    publisher, verifier = _token(broker, "publish"), _token(broker, "verify")
    make_pact_file(tmp_path / "pacts", "web", "orders")
    publish = ["broker", "publish", str(tmp_path / "pacts"), "--consumer-version", "1.0.0", "--branch", "main",
               "--broker-url", broker.url]  # fmt: skip
    refused = runner.invoke(app, publish)
    assert isinstance(refused.exception, UserInputError)
    assert "answered 401" in str(refused.exception)
    assert 0 == runner.invoke(app, [*publish, "--broker-token", publisher]).exit_code
    verify = ["contract", "verify", "--provider", "orders", "--base-url", order_provider,
              "--broker", broker.url, "--provider-version", "2.0.0", "--publish",
              "--broker-token", verifier]  # fmt: skip
    result = runner.invoke(app, verify)
    assert 0 == result.exit_code, result.output
    entries = _audit(broker, 3)
    assert ("verify-2", "verify", 201) in {(e["actor"], e["role"], e["status"]) for e in entries}
