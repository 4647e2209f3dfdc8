"""Toxics seen by psycopg talking to a real PostgreSQL through the chaos proxy."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.server]

ProxyFactory = Callable[..., str]


def _url_through(postgres: Any, listen: str) -> str:
    host, port = listen.rsplit(":", 1)
    return f"postgresql://{postgres.user}@{host}:{port}/postgres"


def test_latency_is_seen_on_a_query(
    postgres: Any, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    """A query's round trip takes at least the toxic's latency (a lower bound, not a goal)."""
    listen = chaos_proxy_to(f"127.0.0.1:{postgres.port}", name="postgres")
    with psycopg.connect(_url_through(postgres, listen), autocommit=True) as conn:
        toxic = {"type": "latency", "attributes": {"latency": 200}}
        assert 200 == chaos_api.post("/proxies/postgres/toxics", json=toxic).status_code

        started = time.monotonic()
        row = conn.execute("select 41 + 1").fetchone()
        elapsed = time.monotonic() - started

    assert (42,) == row
    assert elapsed >= 0.2


def test_reset_peer_is_a_connection_error(
    postgres: Any, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    listen = chaos_proxy_to(f"127.0.0.1:{postgres.port}", name="postgres")
    with psycopg.connect(_url_through(postgres, listen), autocommit=True) as conn:
        assert (1,) == conn.execute("select 1").fetchone()
        toxic = {"type": "reset_peer", "attributes": {"timeout": 0}}
        assert 200 == chaos_api.post("/proxies/postgres/toxics", json=toxic).status_code

        with pytest.raises(psycopg.OperationalError):
            conn.execute("select 1")
        assert conn.broken


def test_timeout_is_a_client_timeout_on_connect(
    postgres: Any, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    """With `timeout` 0 nothing comes back: libpq's connect_timeout expires."""
    listen = chaos_proxy_to(f"127.0.0.1:{postgres.port}", name="postgres")
    toxic = {"type": "timeout", "attributes": {"timeout": 0}}
    assert 200 == chaos_api.post("/proxies/postgres/toxics", json=toxic).status_code

    with pytest.raises(psycopg.OperationalError, match="timeout"):
        psycopg.connect(_url_through(postgres, listen), connect_timeout=2)


def test_timeout_closes_a_live_connection_after_its_time(
    postgres: Any, chaos_proxy_to: ProxyFactory, chaos_api: httpx.Client
) -> None:
    listen = chaos_proxy_to(f"127.0.0.1:{postgres.port}", name="postgres")
    with psycopg.connect(_url_through(postgres, listen), autocommit=True) as conn:
        toxic = {"type": "timeout", "attributes": {"timeout": 300}}
        assert 200 == chaos_api.post("/proxies/postgres/toxics", json=toxic).status_code

        with pytest.raises(psycopg.OperationalError):
            conn.execute("select 1")
