"""Traffic from a provider's pacts: each HTTP interaction's request, its generators applied.

Every interaction becomes a one-step flow; its generators (RandomInt, Uuid, Regex, dates...)
are run up front into a pool of variants, so the engine sends varied data without running
them under load.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from interlock.errors import UserInputError
from interlock.perf.traffic import (
    Flow,
    RequestVariant,
    Stage,
    Step,
    TrafficPlan,
    body_text,
    path_with_query,
)

if TYPE_CHECKING:
    from interlock.contracts import HttpRequest

VARIANTS = 64
"""Requests prepared per interaction that has generators (one suffices for one without)."""


def _variant(request: HttpRequest) -> RequestVariant:
    headers: dict[str, str] = {}
    for name, value in (request.headers or {}).items():
        headers[name] = ", ".join(value) if isinstance(value, list) else value
    body = body_text(request.body.content) if request.body.present else None
    if (
        body is not None
        and request.body.content_type
        and "content-type" not in {h.lower() for h in headers}
    ):
        headers["Content-Type"] = request.body.content_type
    query = {k: list(v) for k, v in (request.query or {}).items()}
    return RequestVariant(
        request.method.upper(), path_with_query(request.path, query), headers, body
    )


def plan_from_pacts(
    paths: Sequence[Path], provider: str, stages: tuple[Stage, ...], seed: int = 0
) -> TrafficPlan:
    """One flow per HTTP interaction of the pacts whose provider is `provider`.

    Raises `UserInputError` when no pact names `provider` or it has no HTTP interaction.
    """
    from interlock.contracts import (  # the contracts package is heavy: only when pacts are read
        GeneratorContext,
        find_pact_files,
        generate_request,
        load_pact,
    )

    rng = random.Random(seed)
    flows: list[Flow] = []
    providers: set[str] = set()
    for file in find_pact_files(paths):
        pact = load_pact(file)
        providers.add(pact.provider)
        if pact.provider != provider:
            continue
        for interaction in pact.interactions:
            request = interaction.request
            if request is None:
                continue
            params = {
                k: v for state in interaction.provider_states for k, v in state.params.items()
            }
            context = GeneratorContext(provider_state=params, rng=rng)
            count = VARIANTS if request.generators else 1
            variants = tuple(_variant(generate_request(request, context)) for _ in range(count))
            expect = (
                (interaction.response.status,)
                if interaction.response and interaction.response.status
                else ()
            )
            operation = f"{request.method.upper()} {request.path}"
            step = Step(operation, variants, tuple(s for s in expect if s is not None))
            flows.append(Flow(f"{pact.consumer}: {interaction.description}", (step,)))
    if not flows:
        found = ", ".join(sorted(providers)) or "none"
        where = ", ".join(str(p) for p in paths)
        raise UserInputError(
            f"--pacts {where}: no HTTP interaction with provider {provider!r} (providers found: {found})"
        )
    source = "pacts: " + ", ".join(str(p) for p in paths)
    return TrafficPlan(tuple(flows), stages, service=provider, source=source)
