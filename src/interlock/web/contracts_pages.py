"""The dashboard's contract pages and their JSON twins: every pact and database contract,
and one consumer-provider pair's interactions, rendered for a person to read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.responses import Response

from interlock.broker import contract_changes_view, pair_states
from interlock.contracts import PactFile, interaction_view
from interlock.web.rendering import render_page
from interlock.web.state import LoadedCatalog, loaded_catalog

router = APIRouter()


def _states(request: Request) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Each pair's verification state in the broker (none before the server has a database)."""
    engine = getattr(request.app.state, "engine", None)
    return {} if engine is None else pair_states(engine)


def _changes(request: Request, consumer: str, provider: str) -> list[dict[str, Any]]:
    """The pair's latest content changes in the broker, with the teams to tell."""
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        return []
    owners = getattr(request.app.state, "broker_owners", None)
    view = contract_changes_view(
        engine, consumer=consumer, provider=provider, owners=owners, limit=10
    )
    changes: list[dict[str, Any]] = view["changes"]
    return changes


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
def contracts_json(
    request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)
) -> dict[str, Any]:
    """Every pact (consumer, provider, interaction count) and database contract found, and
    each published pair's verification state in the broker."""
    return {**loaded.contracts.to_json(), "broker": list(_states(request).values())}


@router.get("/api/contracts/{consumer}/{provider}", tags=["contracts"])
def pair_json(
    consumer: str, provider: str, request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)
) -> dict[str, Any]:
    """One pact's interactions (given, request, response, headers, matchers) and its
    verification state in the broker."""
    view = pair_view(_pair(loaded, consumer, provider))
    return {
        **view,
        "broker": _states(request).get((consumer, provider, "pact")),
        "changes": _changes(request, consumer, provider),
    }


@router.get("/contracts", include_in_schema=False)
def contracts_page(request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)) -> Response:
    return render_page(
        request,
        "contracts.html",
        active="contracts",
        title="Contracts",
        index=loaded.contracts,
        states=_states(request),
    )


@router.get("/contracts/{consumer}/{provider}", include_in_schema=False)
def pair_page(
    consumer: str, provider: str, request: Request, loaded: LoadedCatalog = Depends(loaded_catalog)
) -> Response:
    view = pair_view(_pair(loaded, consumer, provider))
    return render_page(
        request,
        "pact.html",
        active="contracts",
        title=f"{consumer} → {provider}",
        view=view,
        state=_states(request).get((consumer, provider, "pact")),
        changes=_changes(request, consumer, provider),
    )
