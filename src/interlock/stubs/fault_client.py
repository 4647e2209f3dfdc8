"""Setting faults on a running stub server through its admin API (what `interlock fault` calls).

Errors from the server or the network become `UserInputError`s naming the URL.
"""

from __future__ import annotations

from typing import Any

import httpx

from interlock.errors import UserInputError
from interlock.stubs.http_faults import parse_fault


def _admin_base(admin_url: str) -> str:
    base = admin_url.rstrip("/")
    return base if base.endswith("/__admin") else base + "/__admin"


def _call(method: str, url: str, body: Any = None) -> Any:
    try:
        response = httpx.request(method, url, json=body, timeout=10)
    except httpx.HTTPError as error:
        raise UserInputError(f"--stub-admin: cannot reach {url}: {error}") from None
    if response.status_code >= 400:
        try:
            message = response.json().get("error", response.text)
        except ValueError:
            message = response.text
        raise UserInputError(f"{url}: {response.status_code} {message}")
    return response.json() if response.content else None


def add_fault(admin_url: str, service: str, fault: dict[str, Any]) -> dict[str, Any]:
    """Add (or replace, by name) a fault on a service; returns the fault as the server holds it."""
    parse_fault(fault, "fault")  # refuse a bad fault before any network call
    result: dict[str, Any] = _call(
        "POST", f"{_admin_base(admin_url)}/services/{service}/faults", fault
    )
    return result


def list_faults(admin_url: str, service: str) -> list[dict[str, Any]]:
    """The faults set on a service."""
    result = _call("GET", f"{_admin_base(admin_url)}/services/{service}/faults")
    faults: list[dict[str, Any]] = result["faults"]
    return faults


def remove_faults(admin_url: str, service: str, name: str | None = None) -> None:
    """Remove one fault by name, or every fault of the service."""
    suffix = f"/{name}" if name else ""
    _call("DELETE", f"{_admin_base(admin_url)}/services/{service}/faults{suffix}")
