"""Writing the contract model back to Pact JSON, in the pact's own specification version.

Fields kept in `extra` are written back, so a file read and written again loses nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from interlock.contracts.model import (
    JSON,
    Body,
    Generators,
    HttpRequest,
    HttpResponse,
    Interaction,
    InteractionKind,
    MatchingRules,
    Message,
    Pact,
    ProviderState,
    RuleList,
)
from interlock.contracts.pact_reader import parse_query_string, spec_version_of

V2_PREFIX = {"header": "$.headers.", "query": "$.query.", "path": "$.path", "status": "$.status"}


def pact_to_json(pact: Pact) -> dict[str, JSON]:
    """The pact as a JSON document of its specification version."""
    major = pact.major_version
    doc: dict[str, JSON] = {
        "consumer": {"name": pact.consumer, **pact.consumer_extra},
        "provider": {"name": pact.provider, **pact.provider_extra},
    }
    http = [i for i in pact.interactions if i.kind is InteractionKind.http or major >= 4]
    messages = [i for i in pact.interactions if i.kind is not InteractionKind.http and major < 4]
    if http or not messages or not pact.file_had_messages:
        doc["interactions"] = [interaction_to_json(i, major) for i in http]
    if messages or pact.file_had_messages:
        doc["messages"] = [interaction_to_json(i, major) for i in messages]
    doc.update(pact.extra)
    metadata = dict(pact.metadata)
    if spec_version_of({"metadata": metadata}) != pact.spec_version or not metadata:
        metadata["pactSpecification"] = {"version": pact.spec_version}
    doc["metadata"] = metadata
    return doc


def write_pact(pact: Pact, path: Path) -> None:
    """Write the pact to `path` as indented JSON (directories created as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(pact_to_json(pact), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def interaction_to_json(interaction: Interaction, major: int) -> dict[str, JSON]:
    """One interaction in the form of specification version `major`."""
    out: dict[str, JSON] = {}
    if major >= 4:
        out["type"] = interaction.kind.value
        if interaction.key is not None:
            out["key"] = interaction.key
    out["description"] = interaction.description
    out.update(_states(interaction.provider_states, major))
    if not interaction.provider_states and "providerStates" in interaction.written_keys:
        out["providerStates"] = []
    if interaction.request is not None:
        out["request"] = request_to_json(interaction.request, major)
    if interaction.response is not None:
        out["response"] = response_to_json(interaction.response, major)
    if interaction.message is not None:
        out.update(message_to_json(interaction.message, major))
        if not interaction.message.metadata and "metadata" not in interaction.written_keys:
            del out["metadata"]
    if interaction.pending or "pending" in interaction.written_keys:
        out["pending"] = interaction.pending
    if interaction.comments or "comments" in interaction.written_keys:
        out["comments"] = dict(interaction.comments)
    out.update(interaction.extra)
    return out


def _states(states: tuple[ProviderState, ...], major: int) -> dict[str, JSON]:
    if not states:
        return {}
    if major < 3:
        return {"providerState": states[0].name}
    return {
        "providerStates": [
            {"name": s.name, **({"params": dict(s.params)} if s.params else {}), **s.extra}
            for s in states
        ]
    }


def request_to_json(request: HttpRequest, major: int) -> dict[str, JSON]:
    """A request in the form of specification version `major`."""
    out: dict[str, JSON] = {"method": request.method, "path": request.path}
    if request.query is not None:
        out["query"] = _query(request, major)
    if request.headers is not None:
        out["headers"] = dict(request.headers)
    out.update(_body("body", request.body, major))
    out.update(_rules_and_generators(request.matching_rules, request.generators, major))
    out.update(request.extra)
    return out


def response_to_json(response: HttpResponse, major: int) -> dict[str, JSON]:
    """A response in the form of specification version `major`."""
    out: dict[str, JSON] = {}
    if response.status is not None:
        out["status"] = response.status
    if response.headers is not None:
        out["headers"] = dict(response.headers)
    out.update(_body("body", response.body, major))
    out.update(_rules_and_generators(response.matching_rules, response.generators, major))
    out.update(response.extra)
    return out


def message_to_json(message: Message, major: int) -> dict[str, JSON]:
    """A message's fields (contents, metadata, rules, generators)."""
    out: dict[str, JSON] = {}
    out.update(_body("contents", message.contents, major))
    out["metadata"] = dict(message.metadata)
    out.update(_rules_and_generators(message.matching_rules, message.generators, major))
    out.update(message.extra)
    return out


def _query(request: HttpRequest, major: int) -> JSON:
    assert request.query is not None
    if major >= 3:
        return {k: list(v) for k, v in request.query.items()}
    if request.query_text is not None and parse_query_string(request.query_text) == dict(
        request.query
    ):
        return request.query_text
    return "&".join(
        f"{quote(k, safe='')}={quote(v, safe='')}" for k, vs in request.query.items() for v in vs
    )


def _body(key: str, body: Body, major: int) -> dict[str, JSON]:
    if not body.present:
        return {}
    if body.v4_object or (major >= 4 and body.content is not None):
        obj: dict[str, JSON] = {"content": body.content}
        if body.content_type is not None:
            obj["contentType"] = body.content_type
        obj["encoded"] = body.encoded
        obj.update(body.extra)
        return {key: obj}
    return {key: body.content}


def _rules_and_generators(
    rules: MatchingRules, generators: Generators, major: int
) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    if rules:
        out["matchingRules"] = _v2_rules(rules) if major < 3 else _v3_rules(rules)
    if generators:
        out["generators"] = {
            category: dict(entries[""])
            if set(entries) == {""}
            else {k: dict(v) for k, v in entries.items()}
            for category, entries in generators.items()
        }
    return out


def _rule_list(rules: RuleList) -> dict[str, Any]:
    out: dict[str, Any] = {"matchers": [dict(m.attributes) for m in rules.matchers]}
    if rules.combine_written or rules.combine != "AND":
        out["combine"] = rules.combine
    return out


def _v3_rules(rules: MatchingRules) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    for category, entries in rules.items():
        if set(entries) == {""}:
            out[category] = _rule_list(entries[""])
        else:
            out[category] = {key: _rule_list(value) for key, value in entries.items()}
    return out


def _v2_rules(rules: MatchingRules) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    for category, entries in rules.items():
        for key, rule_list in entries.items():
            if category == "body":
                flat = "$.body" + key[1:]
            else:
                flat = V2_PREFIX.get(category, f"$.{category}.") + key
            out[flat] = dict(rule_list.matchers[0].attributes) if rule_list.matchers else {}
    return out
