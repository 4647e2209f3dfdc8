"""The consolidated Pact CLI (`pact broker ...` from pact-python-cli), unchanged, against
Interlock's broker at its /broker base URL."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PACT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pact"

pytestmark = pytest.mark.server


def _pact(broker: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PACT), "broker", *args, "--broker-base-url", broker.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pact_cli_publishes_deploys_and_asks_can_i_deploy(
    broker: Any, tmp_path: Path, make_pact_file: Callable[..., Path]
) -> None:
    """publish, create-environment, record-deployment, describe-version and can-i-deploy."""
    make_pact_file(tmp_path / "pacts", "web", "orders")
    published = _pact(
        broker,
        "publish",
        str(tmp_path / "pacts"),
        "--consumer-app-version",
        "1.0.0",
        "--branch",
        "main",
        "--tag",
        "rc",
    )
    assert 0 == published.returncode, published.stdout + published.stderr
    created = _pact(broker, "create-environment", "--name", "production", "--production")
    assert 0 == created.returncode, created.stdout + created.stderr

    no = _pact(
        broker,
        "can-i-deploy",
        "--pacticipant",
        "web",
        "--version",
        "1.0.0",
        "--to-environment",
        "production",
    )
    assert 1 == no.returncode, no.stdout + no.stderr
    assert "Computer says no" in no.stdout

    with broker.client() as client:
        pact = client.get("/pacts/provider/orders/consumer/web/latest").json()
        url = pact["_links"]["pb:publish-verification-results"]["href"]
        reply = client.post(url, json={"success": True, "providerApplicationVersion": "2.0.0"})
        assert 201 == reply.status_code
    deployed = _pact(
        broker,
        "record-deployment",
        "--pacticipant",
        "orders",
        "--version",
        "2.0.0",
        "--environment",
        "production",
    )
    assert 0 == deployed.returncode, deployed.stdout + deployed.stderr

    yes = _pact(
        broker,
        "can-i-deploy",
        "--pacticipant",
        "web",
        "--version",
        "1.0.0",
        "--to-environment",
        "production",
        "--output",
        "json",
    )
    assert 0 == yes.returncode, yes.stdout + yes.stderr
    assert True is json.loads(yes.stdout)["summary"]["deployable"]

    described = _pact(
        broker, "describe-version", "--pacticipant", "web", "--version", "1.0.0", "-o", "json"
    )
    assert 0 == described.returncode, described.stdout + described.stderr
    assert "1.0.0" == json.loads(described.stdout)["number"]
