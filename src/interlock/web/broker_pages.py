"""The broker on the dashboard: a pacticipant's matrix, a can-i-deploy answer with its
reasons, webhook runs and the audit trail; each page with its JSON twin under /api.

Mounted before the contract pages, whose `/contracts/{consumer}/{provider}` would take
`/contracts/matrix/{pacticipant}` otherwise.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from starlette.responses import Response

from interlock.broker import (
    audit_trail,
    can_i_deploy_answer,
    contract_changes_view,
    pacticipant_matrix,
    webhook_runs,
    webhooks_view,
)
from interlock.web.rendering import render_page

router = APIRouter()


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@router.get("/api/contracts/matrix/{name}", tags=["contracts"])
def matrix_json(name: str, request: Request) -> dict[str, Any]:
    """The pacticipant's matrix: each consumer version's contract and its verdict."""
    return pacticipant_matrix(_engine(request), name)


@router.get("/contracts/matrix/{name}", include_in_schema=False)
def matrix_page(name: str, request: Request) -> Response:
    view = pacticipant_matrix(_engine(request), name)
    return render_page(
        request, "broker_matrix.html", active="contracts", title=f"Matrix of {name}", view=view
    )


@router.get("/api/contracts/can-i-deploy", tags=["contracts"])
def can_i_deploy_json(
    request: Request,
    pacticipant: str | None = None,
    environment: str | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """What was asked, and the answer (once a pacticipant and an environment are given):
    can this version (default: the latest) go to the environment, and the reasons."""
    answer = (
        can_i_deploy_answer(_engine(request), pacticipant, version or None, environment)
        if pacticipant and environment
        else None
    )
    asked = {"pacticipant": pacticipant, "environment": environment, "version": version or None}
    return {"asked": asked, "answer": answer}


@router.get("/contracts/can-i-deploy", include_in_schema=False)
def can_i_deploy_page(
    request: Request,
    pacticipant: str | None = None,
    environment: str | None = None,
    version: str | None = None,
) -> Response:
    data = can_i_deploy_json(request, pacticipant, environment, version)
    return render_page(
        request,
        "broker_can_i_deploy.html",
        active="contracts",
        title="Can I deploy?",
        view=data["answer"],
        asked=data["asked"],
    )


@router.get("/api/contracts/changes", tags=["contracts"])
def changes_json(
    request: Request, consumer: str | None = None, provider: str | None = None
) -> dict[str, Any]:
    """The latest pact content changes (of one consumer or provider, if given): the
    interactions each added, removed or changed, and the owning teams to tell."""
    owners = getattr(request.app.state, "broker_owners", None)
    return contract_changes_view(
        _engine(request), consumer=consumer, provider=provider, owners=owners
    )


@router.get("/contracts/changes", include_in_schema=False)
def changes_page(
    request: Request, consumer: str | None = None, provider: str | None = None
) -> Response:
    view = changes_json(request, consumer, provider)
    return render_page(
        request, "broker_changes.html", active="contracts", title="Contract changes", view=view
    )


@router.get("/api/contracts/webhooks", tags=["contracts"])
def webhooks_json(request: Request) -> dict[str, Any]:
    """The broker's webhooks and their latest delivery attempts."""
    engine = _engine(request)
    return {
        "webhooks": webhooks_view(engine),
        "runs": [run.to_json() for run in webhook_runs(engine)],
    }


@router.get("/contracts/webhooks", include_in_schema=False)
def webhooks_page(request: Request) -> Response:
    view = webhooks_json(request)
    return render_page(
        request, "broker_webhooks.html", active="contracts", title="Webhooks", view=view
    )


@router.get("/api/contracts/audit", tags=["contracts"])
def audit_json(request: Request) -> dict[str, Any]:
    """The latest writes to the broker: who, when, what, allowed or refused."""
    writer = getattr(request.app.state, "broker_audit", None)
    entries = audit_trail(_engine(request), writer=writer)
    return {"writes": [entry.to_json() for entry in entries]}


@router.get("/contracts/audit", include_in_schema=False)
def audit_page(request: Request) -> Response:
    view = audit_json(request)
    return render_page(
        request, "broker_audit.html", active="contracts", title="Broker audit", view=view
    )
