"""A real Toxiproxy client, Chaos Toolkit's `chaostoolkit-toxiproxy`, drives Interlock's proxy."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest
from chaostoxi.proxy import actions as proxy_actions
from chaostoxi.proxy import probes as proxy_probes
from chaostoxi.toxic import actions as toxic_actions

from interlock.stubs import ChaosProxyServer

pytestmark = pytest.mark.server


def test_chaos_toolkit_experiment_steps_work_against_interlock(
    chaos_server: ChaosProxyServer, chaos_upstream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Create a proxy, add and remove toxics, disable and delete it, as an experiment would."""
    monkeypatch.setenv("shop_http_PORT", "")  # the client exports the port; undone afterwards
    configuration: dict[str, Any] = {"toxiproxy_host": "127.0.0.1"}
    configuration["toxiproxy_port"] = chaos_server.port
    upstream_host, upstream_port = chaos_upstream.rsplit(":", 1)

    assert proxy_actions.create_proxy(
        "shop_http", upstream_host, upstream_port, "127.0.0.1", 0, configuration=configuration
    )
    port = int(configuration["shop_http_PORT"])
    assert proxy_probes.proxy_exist("shop_http", configuration=configuration)
    url = f"http://127.0.0.1:{port}/hello"

    assert toxic_actions.create_latency_toxic("shop_http", "slow", 300, configuration=configuration)
    started = time.monotonic()
    assert 200 == httpx.get(url, timeout=5).status_code
    assert time.monotonic() - started >= 0.3
    assert toxic_actions.delete_toxic("shop_http", "slow", configuration=configuration)

    assert toxic_actions.create_limiter_toxic("shop_http", "cut", 100, configuration=configuration)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"http://127.0.0.1:{port}/big", timeout=5)
    assert toxic_actions.delete_toxic("shop_http", "cut", configuration=configuration)

    assert proxy_actions.disable_proxy("shop_http", configuration=configuration)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert proxy_actions.enable_proxy("shop_http", configuration=configuration)
    assert 200 == httpx.get(url, timeout=5).status_code

    proxy_actions.delete_proxy("shop_http", configuration=configuration)
    assert not proxy_probes.proxy_exist("shop_http", configuration=configuration)
