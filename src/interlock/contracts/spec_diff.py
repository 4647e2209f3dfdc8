"""Breaking changes between two versions of an OpenAPI document, and the consumers each one breaks.

Each change has a severity and a JSON pointer in each document; with pacts, each interaction
supported by the old spec but not the new one is tied to the changes that explain it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.contracts.compat import check_interaction
from interlock.contracts.compat_body import CompatProblem
from interlock.contracts.openapi_doc import (
    OpenApiDocument,
    load_openapi,
)
from interlock.contracts.pact_reader import load_pact
from interlock.contracts.spec_diff_operations import compare_documents
from interlock.contracts.spec_diff_schema import ChangeLog, ChangeSeverity
from interlock.contracts.verification import find_pact_files
from interlock.errors import UserInputError

_ORDER = {
    ChangeSeverity.breaking: 0,
    ChangeSeverity.possibly_breaking: 1,
    ChangeSeverity.compatible: 2,
}


@dataclass(frozen=True)
class AffectedInteraction:
    """A consumer's interaction that the new spec no longer supports, and why."""

    pact_file: str
    consumer: str
    description: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SpecChange:
    """One change between the two documents.

    `old_pointer`/`new_pointer` are JSON pointers into each document (None where the thing
    does not exist), `places` where it is met (`GET /orders/{id} response 200 body $.x`): a change to a shared
    component is one change, met through every operation that uses it.
    """

    kind: str
    severity: ChangeSeverity
    text: str
    old_pointer: str | None
    new_pointer: str | None
    places: tuple[str, ...]
    locations: tuple[tuple[str, ...], ...]
    breaks: tuple[AffectedInteraction, ...] = ()

    @property
    def message(self) -> str:
        """`GET /orders/{id} response 200 body $.x: property removed` (+ how many other places)."""
        more = f" (and {len(self.places) - 1} more place(s))" if len(self.places) > 1 else ""
        return f"{self.places[0]}: {self.text}{more}"


@dataclass(frozen=True)
class SpecDiff:
    """The changes from `old_spec` to `new_spec`, and what they do to the consumers' pacts."""

    old_spec: str
    new_spec: str
    changes: tuple[SpecChange, ...]
    pacts_checked: bool = False
    pact_files: tuple[str, ...] = ()
    unexplained: tuple[AffectedInteraction, ...] = ()
    already_unsupported: tuple[AffectedInteraction, ...] = ()

    @property
    def breaking(self) -> tuple[SpecChange, ...]:
        """The changes judged breaking."""
        return tuple(c for c in self.changes if c.severity is ChangeSeverity.breaking)

    @property
    def hits_consumer(self) -> bool:
        """Whether some consumer interaction is broken by the new document."""
        return bool(self.unexplained) or any(c.breaks for c in self.changes)

    @property
    def failed(self) -> bool:
        """Exit 1: a consumer is hit; without pacts, any breaking change at all."""
        return self.hits_consumer if self.pacts_checked else bool(self.breaking)


def diff_specs(
    old_spec: Path,
    new_spec: Path,
    pacts: Sequence[Path] = (),
    provider: str | None = None,
) -> SpecDiff:
    """Compare two OpenAPI documents; with `pacts`, find whom each change breaks.

    Pacts are those of `provider` (by default the new document's `info.title` when a pact
    names it, else every pact given). Raises `UserInputError` on bad input.
    """
    old, new = load_openapi(old_spec), load_openapi(new_spec)
    log = ChangeLog()
    compare_documents(old, new, log)
    changes = [
        SpecChange(
            f.kind,
            f.severity,
            f.text,
            f.old_pointer,
            f.new_pointer,
            tuple(f.places),
            tuple(f.locations),
        )
        for f in log.found.values()
    ]
    changes.sort(key=lambda c: (_ORDER[c.severity], c.message))
    if not pacts:
        return SpecDiff(str(old_spec), str(new_spec), tuple(changes))
    return _attribute(old, new, changes, pacts, provider)


def _attribute(
    old: OpenApiDocument,
    new: OpenApiDocument,
    changes: list[SpecChange],
    pacts: Sequence[Path],
    provider: str | None,
) -> SpecDiff:
    loaded = [(str(p), load_pact(p)) for p in find_pact_files(pacts)]
    if not loaded:
        raise UserInputError(f"no pact files found in {', '.join(str(p) for p in pacts)}")
    wanted = provider
    if wanted is None and any(p.provider in (new.title, old.title) for _, p in loaded):
        wanted = new.title if any(p.provider == new.title for _, p in loaded) else old.title
    mine = [(f, p) for f, p in loaded if wanted is None or p.provider == wanted]
    breaks: dict[int, list[AffectedInteraction]] = {}
    unexplained: list[AffectedInteraction] = []
    already: list[AffectedInteraction] = []
    for file, pact in mine:
        for interaction in pact.interactions:
            before = check_interaction(old, pact, interaction, file)
            if before.skipped:
                continue
            if not before.supported:
                reasons = tuple(str(p) for p in before.problems)
                already.append(
                    AffectedInteraction(file, pact.consumer, interaction.description, reasons)
                )
                continue
            after = check_interaction(new, pact, interaction, file)
            if after.supported:
                continue
            hit: dict[int, list[str]] = {}
            left: list[str] = []
            for problem in after.problems:
                location = _located(problem, before.operation_key or "")
                matched = _matching(changes, location)
                for index in matched:
                    hit.setdefault(index, []).append(str(problem))
                if not matched:
                    left.append(str(problem))
            for index, reasons_of in hit.items():
                breaks.setdefault(index, []).append(
                    AffectedInteraction(
                        file, pact.consumer, interaction.description, tuple(reasons_of)
                    )
                )
            if left:
                unexplained.append(
                    AffectedInteraction(file, pact.consumer, interaction.description, tuple(left))
                )
    final = tuple(
        SpecChange(
            c.kind,
            c.severity,
            c.text,
            c.old_pointer,
            c.new_pointer,
            c.places,
            c.locations,
            tuple(breaks.get(i, [])),
        )
        for i, c in enumerate(changes)
    )
    return SpecDiff(
        old.source,
        new.source,
        final,
        True,
        tuple(f for f, _ in mine),
        tuple(unexplained),
        tuple(already),
    )


def _located(problem: CompatProblem, old_key: str) -> tuple[str, ...]:
    if problem.location and problem.location[0]:
        return problem.location
    return (old_key, *problem.location[1:])


def _related(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One location is inside the other (`*` stands for any array index or map key)."""
    return all(x == y or "*" in (x, y) for x, y in zip(a, b, strict=False))


def _matching(changes: list[SpecChange], location: tuple[str, ...]) -> list[int]:
    """The changes that explain a problem at `location`: the harmful ones if any, else any."""
    related = [
        i for i, c in enumerate(changes) if any(_related(loc, location) for loc in c.locations)
    ]
    harmful = [i for i in related if changes[i].severity is not ChangeSeverity.compatible]
    return harmful or related


def _escape(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


def _interaction_json(item: AffectedInteraction) -> dict[str, Any]:
    return {
        "pact": item.pact_file,
        "consumer": item.consumer,
        "description": item.description,
        "reasons": list(item.reasons),
    }


def diff_to_json(diff: SpecDiff) -> dict[str, Any]:
    """The diff as JSON for machines."""
    return {
        "old": diff.old_spec,
        "new": diff.new_spec,
        "pacts": list(diff.pact_files) if diff.pacts_checked else None,
        "hits_consumer": diff.hits_consumer if diff.pacts_checked else None,
        "changes": [
            {
                "kind": c.kind,
                "severity": str(c.severity),
                "message": c.message,
                "places": list(c.places),
                "old_pointer": c.old_pointer,
                "new_pointer": c.new_pointer,
                "breaks": [_interaction_json(b) for b in c.breaks],
            }
            for c in diff.changes
        ],
        "unexplained": [_interaction_json(b) for b in diff.unexplained],
        "already_unsupported": [_interaction_json(b) for b in diff.already_unsupported],
    }
