"""Reading and writing Pact files: nothing lost on the way through, clear errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.contracts import (
    InteractionKind,
    load_pact,
    pact_to_json,
    parse_pact,
    write_pact,
)
from interlock.errors import SourceError

PACTS = sorted((Path(__file__).resolve().parent / "pacts").glob("*.json"))


@pytest.mark.parametrize("path", PACTS, ids=[p.stem for p in PACTS])
def test_reading_then_writing_loses_nothing(path: Path, tmp_path: Path) -> None:
    """Every field comes back, including ones Interlock does not use (`x-team`, `transport`)."""
    original = json.loads(path.read_text(encoding="utf-8"))
    written = tmp_path / "out.json"
    write_pact(load_pact(path), written)
    assert original == json.loads(written.read_text(encoding="utf-8"))


def test_v2_file_reads_flat_rules_into_categories() -> None:
    pact = load_pact(next(p for p in PACTS if p.name.startswith("v2")))
    response = pact.interactions[0].response
    assert response is not None
    assert {"body", "header"} == set(response.matching_rules)
    assert "$.items[*].sku" in response.matching_rules["body"]
    assert "order 7 exists" == pact.interactions[0].provider_states[0].name
    request = pact.interactions[0].request
    assert request is not None
    assert {"expand": ["items", "customer"]} == request.query


def test_v3_file_has_http_and_message_interactions_with_state_params() -> None:
    pact = load_pact(next(p for p in PACTS if p.name.startswith("v3")))
    kinds = [i.kind for i in pact.interactions]
    assert [InteractionKind.http, InteractionKind.message] == kinds
    assert {"customer": 12, "card": "visa"} == pact.interactions[0].provider_states[0].params
    assert "3.0.0" == pact.spec_version


def test_v4_file_keeps_pending_comments_and_body_objects() -> None:
    pact = load_pact(next(p for p in PACTS if p.name.startswith("v4")))
    first = pact.interactions[0]
    assert first.pending
    assert "test_stock" == first.comments["testname"]
    image = pact.interactions[2].response
    assert image is not None
    assert "base64" == image.body.encoded
    assert "image/png" == image.body.content_type


def _broken(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "pacts" / "web-orders.json"
    path.parent.mkdir()
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _pact_with(interaction: dict[str, object]) -> dict[str, object]:
    return {
        "consumer": {"name": "web"},
        "provider": {"name": "orders"},
        "interactions": [interaction],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }


def test_error_names_file_and_json_path_of_a_wrong_type(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        _pact_with({"description": "x", "request": {"path": 5}, "response": {"status": 200}}),
    )
    with pytest.raises(SourceError) as caught:
        load_pact(path)
    assert f"{path}:$.interactions[0].request.path: expected a string, found a number" == str(
        caught.value
    )


def test_error_for_invalid_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "consumer": {"name": "web"},\n  oops\n}', encoding="utf-8")
    with pytest.raises(SourceError, match=r"bad.json:3:3: not valid JSON"):
        load_pact(path)


def test_error_for_an_unknown_matcher(tmp_path: Path) -> None:
    rules = {"body": {"$.id": {"matchers": [{"match": "fuzzy"}]}}}
    path = _broken(
        tmp_path,
        _pact_with({"description": "x", "request": {}, "response": {"matchingRules": rules}}),
    )
    with pytest.raises(
        SourceError, match=r"matchers\[0\]: expected a known matcher, found 'fuzzy'"
    ):
        load_pact(path)


def test_error_for_a_broken_regex(tmp_path: Path) -> None:
    rules = {"body": {"$.id": {"matchers": [{"match": "regex", "regex": "([a-z"}]}}}
    path = _broken(
        tmp_path,
        _pact_with({"description": "x", "request": {}, "response": {"matchingRules": rules}}),
    )
    with pytest.raises(SourceError, match="is not a valid regular expression"):
        load_pact(path)


def test_error_for_a_missing_consumer_name() -> None:
    with pytest.raises(
        SourceError, match=r"x.json:\$.consumer.name: expected a string, found null"
    ):
        parse_pact({"consumer": {}, "provider": {"name": "p"}}, "x.json")


def test_error_for_an_unknown_interaction_type() -> None:
    document = _pact_with({"type": "Synchronous/Carrier-Pigeon", "description": "x"})
    with pytest.raises(SourceError, match=r"\$.interactions\[0\].type: expected Synchronous/HTTP"):
        parse_pact(document, "x.json")


def test_a_pact_built_in_code_is_written_in_its_version() -> None:
    """A v3 pact writes provider states as a list and rules by category."""
    pact = load_pact(next(p for p in PACTS if p.name.startswith("v2")))
    as_v3 = pact_to_json(type(pact)(**{**pact.__dict__, "spec_version": "3.0.0"}))
    interaction = as_v3["interactions"][0]
    assert [{"name": "order 7 exists"}] == interaction["providerStates"]
    assert "$.items[*].sku" in interaction["response"]["matchingRules"]["body"]


def test_error_for_a_broken_rule_path() -> None:
    rules = {"body": {"$.items[": {"matchers": [{"match": "type"}]}}}
    document = _pact_with({"description": "x", "request": {}, "response": {"matchingRules": rules}})
    with pytest.raises(
        SourceError,
        match=r"\$.interactions\[0\].response.matchingRules.body\['\$.items\['\]: path expression",
    ):
        parse_pact(document, "x.json")


def test_error_for_a_base64_body_that_is_not_base64() -> None:
    body = {"contentType": "image/png", "encoded": "base64", "content": "not base64!"}
    document = _pact_with(
        {"type": "Synchronous/HTTP", "description": "x", "request": {}, "response": {"body": body}}
    )
    document["metadata"] = {"pactSpecification": {"version": "4.0"}}
    with pytest.raises(SourceError, match=r"response.body.content: expected base64 text"):
        parse_pact(document, "x.json")
