"""`interlock stub serve --broker`: a stub served from the broker's pact says whether the
provider version deployed in an environment verified that pact."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlock.broker import BrokerClient
from interlock.ports import free_port

from .conftest import RunningBroker, write_pact

INTERLOCK = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "interlock"
pytestmark = pytest.mark.server


@contextmanager
def stub_server(broker: RunningBroker, *flags: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """`interlock stub serve --broker ...` running: its admin URL and the `orders` service's
    listing from `/__admin/services`; stopped with Ctrl-C on exit."""
    admin_port = free_port()
    process = subprocess.Popen(
        [str(INTERLOCK), "stub", "serve", "--broker", broker.url, "--consumer", "web",
         "--provider", "orders", "--admin-port", str(admin_port), "--format", "json", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.rstrip() == "}":
                break
        printed = json.loads("".join(lines))
        admin = printed["admin"]
        services = httpx.get(f"{admin}/services", timeout=10).json()["services"]
        (orders,) = [s for s in services if s["name"] == "orders"]
        yield orders["url"], orders
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def _publish(broker: RunningBroker, folder: Path) -> None:
    """web 1.0.0's pact with orders; orders 2.0.0 deployed to production, unverified."""
    with BrokerClient(broker.url) as client:
        client.publish([write_pact(folder, "web", "orders")], "1.0.0", branch="main")
        client.create_environment("production", production=True)
    with broker.client() as http:
        assert 200 == http.put("/pacticipants/orders/versions/2.0.0", json={}).status_code
    with BrokerClient(broker.url) as client:
        client.record_deployment("orders", "2.0.0", "production")


def _verify(broker: RunningBroker, version: str, success: bool) -> None:
    with BrokerClient(broker.url) as client:
        (pact,) = client.pacts_for_verification("orders")
        client.publish_result(pact, "orders", version, success)


def test_an_unverified_pact_serves_a_stub_that_is_not_trusted(
    broker: RunningBroker, tmp_path: Path
) -> None:
    """The deployed provider never verified the pact: the stub serves it, marked untrusted."""
    _publish(broker, tmp_path)
    with stub_server(broker, "--environment", "production") as (url, orders):
        assert 200 == httpx.get(f"{url}/orders/42", timeout=10).status_code
    trust = orders["trust"]
    assert (False, "2.0.0", "production") == (
        trust["verified"],
        trust["provider_version"],
        trust["environment"],
    )


def test_the_deployed_providers_verification_makes_the_stub_trusted(
    broker: RunningBroker, tmp_path: Path
) -> None:
    """Once orders 2.0.0 (in production) verified the pact, its stub is trusted."""
    _publish(broker, tmp_path)
    _verify(broker, "2.0.0", True)
    with stub_server(broker, "--environment", "production") as (_, orders):
        trust = orders["trust"]
    assert (True, "2.0.0", "production") == (
        trust["verified"],
        trust["provider_version"],
        trust["environment"],
    )


def test_a_verification_by_a_version_not_deployed_there_does_not_count(
    broker: RunningBroker, tmp_path: Path
) -> None:
    """orders 3.0.0 verified the pact but 2.0.0 runs in production: not trusted there; trusted
    when no environment is named."""
    _publish(broker, tmp_path)
    _verify(broker, "2.0.0", False)
    _verify(broker, "3.0.0", True)
    with stub_server(broker, "--environment", "production") as (_, orders):
        in_production = orders["trust"]
    assert (False, "2.0.0") == (in_production["verified"], in_production["provider_version"])
    assert "failed" in in_production["reason"]
    with stub_server(broker) as (_, orders):
        anywhere = orders["trust"]
    assert (True, "3.0.0", None) == (
        anywhere["verified"],
        anywhere["provider_version"],
        anywhere["environment"],
    )


def test_provider_without_broker_is_one_line_exit_2() -> None:
    """--provider without --broker is a usage error naming the flag."""
    result = subprocess.run(
        [str(INTERLOCK), "stub", "serve", "x.json", "--provider", "orders"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert 2 == result.returncode
    assert ["error: --provider: only with --broker URL"] == result.stderr.strip().splitlines()


ENV_FILE = """\
name: web-test
service: web
dependencies:
  orders:
    stub: {{broker: {broker}, consumer: web, provider: orders, environment: production}}
"""


def _env(state_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INTERLOCK), "env", *args, "--state-dir", str(state_dir)],
        cwd=cwd, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_env_status_and_the_stubs_page_show_the_stubs_trust(
    broker: RunningBroker, tmp_path: Path
) -> None:
    """An env file's broker stub runs, and env status and /stubs say it is trusted."""
    _publish(broker, tmp_path / "pacts")
    _verify(broker, "2.0.0", True)
    env_file = tmp_path / "interlock-env.yaml"
    env_file.write_text(ENV_FILE.format(broker=broker.url))
    state_dir = tmp_path / "data" / "envs" / "web-test"  # where the server's /stubs looks
    up = _env(state_dir, tmp_path, "up", str(env_file), "--format", "json")
    try:
        assert 0 == up.returncode, up.stderr
        variables = json.loads(up.stdout)["variables"]
        assert 200 == httpx.get(f"{variables['ORDERS_URL']}/orders/42", timeout=10).status_code
        status = _env(state_dir, tmp_path, "status", "--format", "json")
        assert 0 == status.returncode, status.stderr
        (stub,) = json.loads(status.stdout)["stubs"]
        trust = stub["trust"]
        assert ("orders", True, "2.0.0", "production") == (
            stub["name"],
            trust["verified"],
            trust["provider_version"],
            trust["environment"],
        )
        text = _env(state_dir, tmp_path, "status")
        assert "stub orders: trusted: verified by orders 2.0.0 in production" in text.stdout
        page = httpx.get(f"{broker.root}/stubs", timeout=10)
        assert 200 == page.status_code
        assert "verified by orders 2.0.0 in production" in page.text
        assert "web 1.0.0 → orders" in page.text
    finally:
        down = _env(state_dir, tmp_path, "down")
    assert 0 == down.returncode, down.stderr


def test_an_env_file_broker_stub_needs_consumer_and_provider(tmp_path: Path) -> None:
    """A broker stub without `provider` is named with its place in the env file, exit 2."""
    env_file = tmp_path / "interlock-env.yaml"
    env_file.write_text(
        "name: x\nservice: web\ndependencies:\n"
        "  orders:\n    stub: {broker: http://127.0.0.1:9/broker, consumer: web}\n"
    )
    up = _env(tmp_path / "state", tmp_path, "up", str(env_file))
    assert 2 == up.returncode
    assert "missing `provider`" in up.stderr
    assert "interlock-env.yaml:5" in up.stderr
