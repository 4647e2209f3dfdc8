"""The catalog the server loaded at start, as every page and API route reads it.

Held on `app.state` by the server's lifespan; routes get it through `loaded_catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from interlock.catalog import Catalog, CatalogSummary
from interlock.contracts import ContractIndex
from interlock.store import CatalogLoad


@dataclass(frozen=True)
class LoadedCatalog:
    """The catalog, its summary, the row recorded for this load, and the contracts beside it."""

    catalog: Catalog
    summary: CatalogSummary
    load: CatalogLoad
    contracts: ContractIndex


def loaded_catalog(request: Request) -> LoadedCatalog:
    """FastAPI dependency: the catalog the server loaded on start."""
    loaded: LoadedCatalog = request.app.state.catalog
    return loaded
