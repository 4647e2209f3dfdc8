"""The dashboard's contract pages and their JSON twins: every pact and database contract,
and one consumer-provider pair's interactions, rendered for a person to read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import Response

from interlock.contracts import PactFile, interaction_view
from interlock.web.rendering import render_page
from interlock.web.state import LoadedCatalog, loaded_catalog

router = APIRouter()


def _pair(loaded: LoadedCatalog, consumer: str, provider: str) -> PactFile:
    found = loaded.contracts.pair(consumer, provider)
    if found is None:
        raise HTTPException(404, f"no pact between consumer {consumer!r} and provider {provider!r}")
    return found


def pair_view(pact: PactFile) -> dict[str, Any]:
    return {
        "consumer": pact.consumer,
        "provider": pact.provider,
        "file": pact.file,
        "spec_version": pact.pact.spec_version,
        "interactions": [interaction_view(i) for i in pact.pact.interactions],
    }


@router.get("/api/contracts", tags=["contracts"])
def contracts_json(loaded: LoadedCatalog = Depends(loaded_catalog)) -> dict[str, Any]:
    """Every pact (consumer, provider, interaction count) and database contract found."""
    return loaded.contracts.to_json()


@router.get("/api/contracts/{consumer}/{provider}", tags=["contracts"])
def pair_json(
    consumer: str, provider: str, loaded: LoadedCatalog = Depends(loaded_catalog)
) -> dict[str, Any]:
    """One pact's interactions: given, request, response, matching rules."""
    return pair_view(_pair(loaded, consumer, provider))


@router.get("/contracts", include_in_schema=False)
def contracts_page(request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)) -> Response:
    return render_page(
        request, "contracts.html", active="contracts", title="Contracts", index=loaded.contracts
    )


@router.get("/contracts/{consumer}/{provider}", include_in_schema=False)
def pair_page(
    consumer: str, provider: str, request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)
) -> Response:
    view = pair_view(_pair(loaded, consumer, provider))
    return render_page(
        request, "pact.html", active="contracts", title=f"{consumer} → {provider}", view=view
    )
