"""Pact files of consumer tests: one per pair, interactions merged across tests and sorted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.contracts import Interaction, Pact, load_pact, match
from interlock.contracts.dsl import ConsumerPact
from interlock.contracts.pact_files import (
    PactCollector,
    PactConflictError,
    WriteMode,
    write_if_changed,
)


def _pact(*declared: tuple[str, str | None, int], spec: str = "4") -> Pact:
    """A web -> orders pact with one interaction per (description, state, order id)."""
    pact = ConsumerPact("web", "orders", spec=spec)
    for description, state, order_id in declared:
        builder = pact.upon_receiving(description)
        if state is not None:
            builder.given(state, id=order_id)
        builder.with_request("GET", f"/orders/{order_id}").will_respond_with(
            200, body={"id": match.integer(order_id)}
        )
    return pact.to_pact()


def _keys(interactions: tuple[Interaction, ...]) -> list[tuple[str, list[str]]]:
    return [(i.description, [s.name for s in i.provider_states]) for i in interactions]


def test_interactions_from_several_tests_are_merged_and_sorted(tmp_path: Path) -> None:
    collector = PactCollector(tmp_path)
    collector.add(_pact(("b: an order", "an order exists", 1)))
    collector.add(_pact(("a: an order", None, 2), ("b: an order", "an order exists", 1)))
    collector.add(_pact(("b: an order", "an archived order exists", 3)))
    [path] = collector.write()
    assert "web-orders.json" == path.name
    assert [
        ("a: an order", []),
        ("b: an order", ["an archived order exists"]),
        ("b: an order", ["an order exists"]),
    ] == _keys(load_pact(path).interactions)


def test_the_same_interaction_declared_differently_is_refused(tmp_path: Path) -> None:
    collector = PactCollector(tmp_path)
    collector.add(_pact(("an order", None, 1)))
    with pytest.raises(PactConflictError) as caught:
        collector.add(_pact(("an order", None, 2)))
    assert (
        "web -> orders: the interaction 'an order' is declared twice with different requests or responses"
        == str(caught.value)
    )


def test_one_pair_has_one_spec_version(tmp_path: Path) -> None:
    collector = PactCollector(tmp_path)
    collector.add(_pact(("an order", None, 1)))
    with pytest.raises(PactConflictError, match=r"both Pact specification 4\.0 and 3\.0\.0"):
        collector.add(_pact(("another order", None, 2), spec="3"))


def test_merge_mode_keeps_the_file_s_other_interactions(tmp_path: Path) -> None:
    first = PactCollector(tmp_path)
    first.add(_pact(("an old order", None, 1), ("an order", None, 2)))
    first.write()
    second = PactCollector(tmp_path, WriteMode.merge)
    second.add(_pact(("a new order", None, 3)))
    [path] = second.write()
    assert ["a new order", "an old order", "an order"] == [
        i.description for i in load_pact(path).interactions
    ]


def test_an_unchanged_pact_is_not_rewritten(tmp_path: Path) -> None:
    pact = _pact(("an order", None, 1))
    path = tmp_path / "web-orders.json"
    assert write_if_changed(pact, path)
    assert not write_if_changed(pact, path)
    assert (
        "4.0"
        == json.loads(path.read_text(encoding="utf-8"))["metadata"]["pactSpecification"]["version"]
    )
