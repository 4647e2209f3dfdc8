"""The example system: `gateway` tested alone, its dependencies stubbed from the shop's pacts.

Then latency injected into a stub at runtime shows the gateway's timeout behaviour.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from interlock.stubs import add_fault

WriteEnv = Callable[[str], Path]

GATEWAY_ENV = """\
name: gateway-alone
service:
  name: gateway
  real:
    command: ${python} -m gateway.app
    cwd: {shop}
    env: {LOG_LEVEL: warning}
    health: http://127.0.0.1:${port}/health
    port: auto
catalog: {shop}
otlp: false
dependencies:
  orders:
    stub: {shop}/pacts/gateway-orders.json
  inventory:
    stub: {shop}/pacts/gateway-inventory.json
  payments:
    stub: {shop}/pacts/orders-payments.json
"""


@pytest.mark.server
def test_gateway_alone_against_stubs_of_its_dependencies(
    write_env: WriteEnv, env_cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    up = env_cli("up", str(write_env(GATEWAY_ENV)), "--format", "json")
    assert 0 == up.returncode, up.stderr
    variables = json.loads(up.stdout)["variables"]
    gateway = variables["GATEWAY_URL"]

    product = httpx.get(f"{gateway}/products/1")
    assert 200 == product.status_code, product.text
    assert 1 == product.json()["id"]
    order = httpx.get(f"{gateway}/orders/8f14e45fceea167a5a36dedd4bea2543")
    assert 200 == order.status_code, order.text
    missing = httpx.get(f"{gateway}/products/999")
    assert 404 == missing.status_code

    # The gateway's inventory client gives up after 5 s and answers 502 naming the slow
    # dependency. (Its orders client has no timeout on purpose: the demo's chaos chapter
    # finds that missing timeout.)
    add_fault(
        variables["INTERLOCK_STUB_ADMIN_URL"],
        "inventory",
        {"type": "latency", "attributes": {"latency": 6000}, "route": "GET /products/*"},
    )
    slow = httpx.get(f"{gateway}/products/1", timeout=30)
    assert 502 == slow.status_code
    assert "inventory did not answer: ReadTimeout" == slow.json()["detail"]
    assert 0 == env_cli("down").returncode
