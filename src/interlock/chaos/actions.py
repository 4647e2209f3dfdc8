"""Interlock's Chaos Toolkit actions: faults on stubs, toxics on the chaos proxy, traffic.

An experiment calls them as `type: python` providers (`"module": "interlock.chaos.actions"`).
Where a URL is not passed as an argument it comes from the experiment's configuration:
`interlock_stub_admin` (a stub server's admin API), `interlock_chaos_api` (the Toxiproxy API).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from interlock.errors import UserInputError

Configuration = dict[str, Any] | None

__all__ = [
    "add_proxy_toxic",
    "add_stub_fault",
    "remove_proxy_toxic",
    "remove_stub_faults",
    "send_requests",
]


def setting(configuration: Configuration, key: str, given: str | None) -> str:
    """An argument, else the experiment's configuration value `key`."""
    value = given or (configuration or {}).get(key)
    if not value:
        raise UserInputError(f"configuration.{key}: expected a URL (or pass it as an argument)")
    return str(value)


def add_stub_fault(
    service: str,
    fault: dict[str, Any],
    admin_url: str | None = None,
    configuration: Configuration = None,
) -> dict[str, Any]:
    """Set a fault on a stubbed service (`{"type": "latency", "latency": 2000}`); returns it."""
    from interlock.stubs import add_fault

    return add_fault(setting(configuration, "interlock_stub_admin", admin_url), service, fault)


def remove_stub_faults(
    service: str,
    name: str | None = None,
    admin_url: str | None = None,
    configuration: Configuration = None,
) -> None:
    """Remove one fault of a stubbed service by name, or all of them; removing a fault that
    is already gone is not an error (a rollback after a method that healed it)."""
    from interlock.stubs import list_faults, remove_faults

    admin = setting(configuration, "interlock_stub_admin", admin_url)
    if name is not None and name not in {f.get("name") for f in list_faults(admin, service)}:
        return
    remove_faults(admin, service, name)


def add_proxy_toxic(
    proxy: str,
    toxic: dict[str, Any],
    api_url: str | None = None,
    configuration: Configuration = None,
) -> dict[str, Any]:
    """Add a toxic (Toxiproxy's JSON: type, attributes, stream, toxicity) to a proxy."""
    base = setting(configuration, "interlock_chaos_api", api_url).rstrip("/")
    response = httpx.post(f"{base}/proxies/{proxy}/toxics", json=toxic, timeout=10)
    if response.status_code >= 400:
        raise UserInputError(f"{base}: proxy {proxy}: {response.status_code} {response.text}")
    added: dict[str, Any] = response.json()
    return added


def remove_proxy_toxic(
    proxy: str, toxic: str, api_url: str | None = None, configuration: Configuration = None
) -> None:
    """Remove a toxic from a proxy by name."""
    base = setting(configuration, "interlock_chaos_api", api_url).rstrip("/")
    response = httpx.delete(f"{base}/proxies/{proxy}/toxics/{toxic}", timeout=10)
    if response.status_code >= 400 and response.status_code != 404:
        raise UserInputError(f"{base}: proxy {proxy}: {response.status_code} {response.text}")


def send_requests(
    url: str,
    count: int = 20,
    concurrency: int = 5,
    method: str = "GET",
    timeout_s: float = 30.0,
    configuration: Configuration = None,
) -> dict[str, Any]:
    """Send `count` requests to `url`, `concurrency` at a time: traffic through the service
    under test while a fault is on. Returns the statuses and the slowest answer."""

    def one(_: int) -> tuple[str, float]:
        started = time.perf_counter()
        try:
            status = str(httpx.request(method, url, timeout=timeout_s).status_code)
        except httpx.HTTPError as error:
            status = type(error).__name__
        return status, (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(one, range(count)))
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "sent": count,
        "statuses": statuses,
        "max_ms": max((ms for _, ms in results), default=0.0),
    }
