"""Toxics seen by real clients of a real HTTP service behind the chaos proxy."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.server

ProxyFactory = Callable[..., str]


def _raw_request(address: str, path: str, keep_alive: bool = False) -> bytes:
    """Send one HTTP/1.1 request on a plain socket and read until the proxy closes it."""
    host, port = address.rsplit(":", 1)
    connection = "keep-alive" if keep_alive else "close"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: {connection}\r\n\r\n"
        sock.sendall(request.encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def test_bandwidth_slows_a_large_body(
    chaos_upstream: str,
    chaos_proxy_to: ProxyFactory,
    chaos_api: httpx.Client,
    chaos_big_body: bytes,
) -> None:
    """At 400 KB/s a 204,800-byte body cannot arrive in under about half a second."""
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "bandwidth", "attributes": {"rate": 400}}
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code

    started = time.monotonic()
    response = httpx.get(f"http://{listen}/big", timeout=10)
    elapsed = time.monotonic() - started

    assert chaos_big_body == response.content
    assert elapsed >= len(chaos_big_body) / 400_000 * 0.9


def test_limit_data_truncates_the_response(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    """The client gets exactly `bytes` bytes, then the connection closes: httpx sees a short body."""
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "limit_data", "attributes": {"bytes": 1000}}
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code

    assert 1000 == len(_raw_request(listen, "/big"))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"http://{listen}/big", timeout=10)


def test_slicer_still_delivers_the_whole_body(
    chaos_upstream: str,
    chaos_proxy_to: ProxyFactory,
    chaos_api: httpx.Client,
    chaos_big_body: bytes,
) -> None:
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {
        "type": "slicer",
        "attributes": {"average_size": 700, "size_variation": 200, "delay": 20},
    }
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code

    response = httpx.get(f"http://{listen}/big", timeout=10)

    assert 200 == response.status_code
    assert chaos_big_body == response.content


def test_latency_added_at_runtime_slows_a_live_keep_alive_connection(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    """A toxic added while a connection is open applies to the next data on that connection."""
    listen = chaos_proxy_to(chaos_upstream)
    with httpx.Client(base_url=f"http://{listen}", timeout=10) as client:
        assert 200 == client.get("/hello").status_code
        toxic = {"type": "latency", "attributes": {"latency": 300}}
        assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code

        started = time.monotonic()
        response = client.get("/hello")
        elapsed = time.monotonic() - started

    assert {"hello": "world"} == response.json()
    assert elapsed >= 0.3


def test_upstream_latency_delays_the_request(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "latency", "stream": "upstream", "attributes": {"latency": 250}}
    assert "upstream" == chaos_api.post("/proxies/dependency/toxics", json=toxic).json()["stream"]

    started = time.monotonic()
    assert 200 == httpx.get(f"http://{listen}/hello", timeout=10).status_code
    assert time.monotonic() - started >= 0.25


def test_toxicity_zero_never_applies(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    """A toxic with toxicity 0 is listed but never chosen for a connection."""
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "timeout", "toxicity": 0, "attributes": {"timeout": 0}}
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code

    assert 200 == httpx.get(f"http://{listen}/hello", timeout=5).status_code


def test_slow_close_holds_the_close_after_the_data(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "slow_close", "attributes": {"delay": 300}}
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code

    started = time.monotonic()
    received = _raw_request(listen, "/hello")

    assert received.endswith(b'{"hello":"world"}')
    assert time.monotonic() - started >= 0.3


def test_timeout_drops_data_then_closes(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    """With `timeout` 200 the client gets no byte, and the idle connection closes after 200 ms.

    The upstream keeps the connection alive: its own close would end the link at once.
    """
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "timeout", "attributes": {"timeout": 200}}
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code

    started = time.monotonic()
    assert b"" == _raw_request(listen, "/hello", keep_alive=True)
    assert time.monotonic() - started >= 0.2


def test_timeout_zero_holds_the_connection_until_the_client_gives_up(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "timeout", "attributes": {"timeout": 0}}
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code

    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"http://{listen}/hello", timeout=0.5)


def test_reset_peer_is_a_connection_reset(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "reset_peer", "attributes": {"timeout": 50}}
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code

    with pytest.raises(ConnectionResetError):
        _raw_request(listen, "/hello")


def test_disabled_proxy_closes_live_connections_and_stops_listening(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    listen = chaos_proxy_to(chaos_upstream)
    host, port = listen.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as live:
        live.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive
        answer = b""
        while not answer.endswith(b'{"hello":"world"}'):
            answer += live.recv(65536)  # the proxy has this connection in hand now
        disabled = chaos_api.post("/proxies/dependency", json={"enabled": False})
        assert False is disabled.json()["enabled"]
        assert b"" == live.recv(1024)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=5).close()

    assert 200 == chaos_api.post("/proxies/dependency", json={"enabled": True}).status_code
    assert 200 == httpx.get(f"http://{listen}/hello", timeout=5).status_code


def test_removing_a_toxic_restores_the_connection(
    chaos_upstream: str,
    chaos_proxy_to: ProxyFactory,
    chaos_api: httpx.Client,
    chaos_big_body: bytes,
) -> None:
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "limit_data", "attributes": {"bytes": 10}}
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code
    assert 204 == chaos_api.delete("/proxies/dependency/toxics/limit_data_downstream").status_code

    response = httpx.get(f"http://{listen}/big", timeout=10)

    assert chaos_big_body == response.content


def test_removing_latency_releases_data_it_holds(
    chaos_upstream: str, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    """A response held by a 30 s latency arrives as soon as the toxic is removed."""
    listen = chaos_proxy_to(chaos_upstream)
    toxic = {"type": "latency", "attributes": {"latency": 30_000}}
    assert 200 == chaos_api.post("/proxies/dependency/toxics", json=toxic).status_code
    host, port = listen.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        time.sleep(0.2)
        assert 204 == chaos_api.delete("/proxies/dependency/toxics/latency_downstream").status_code

        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
