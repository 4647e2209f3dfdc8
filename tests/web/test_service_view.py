"""`service_view`, `service_index` and `catalog_summary`, the data behind pages and API."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.catalog import load_catalog
from interlock.catalog.views import UnknownService, catalog_summary, service_view


def test_unknown_service_suggests_close_names(small_catalog: Path) -> None:
    graph = load_catalog(small_catalog).graph
    with pytest.raises(UnknownService) as raised:
        service_view(graph, "storefrnt")
    assert ["storefront"] == raised.value.suggestions


def test_names_default_to_the_catalog_name(small_catalog: Path) -> None:
    view = service_view(load_catalog(small_catalog).graph, "stock")
    assert ("stock", "stock") == (view.telemetry_name, view.pact_name)


def test_digest_changes_when_a_descriptor_changes(small_catalog: Path) -> None:
    before = catalog_summary(load_catalog(small_catalog)).digest
    assert before == catalog_summary(load_catalog(small_catalog)).digest
    with (small_catalog / "interlock.yaml").open("a") as file:
        file.write("# a comment\n")
    assert before != catalog_summary(load_catalog(small_catalog)).digest
