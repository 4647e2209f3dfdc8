"""A server started where there are no descriptors yet still serves every page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest


@pytest.fixture
def small_catalog(tmp_path: Path) -> Path:
    """Overrides the shared fixture: an empty catalog directory."""
    root = tmp_path / "empty"
    root.mkdir()
    return root


def test_every_page_answers_for_an_empty_catalog(client: httpx.Client) -> None:
    for path in ["/", "/map", "/services", "/api/catalog", "/api/map", "/api/services"]:
        assert 200 == client.get(path).status_code, path
    assert "No services" in client.get("/services").text
    assert [] == client.get("/api/services").json()
