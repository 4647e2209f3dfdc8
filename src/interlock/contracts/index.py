"""The contracts found beside a catalog: Pact files and database contracts, for the dashboard.

Pact files are the `*.json` files in folders named `pacts`; database contracts are the
`*.dbcontract.yaml` files. A file that cannot be read is kept as an error, not dropped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.contracts.database import SUFFIXES, DatabaseContract, load_database_contracts
from interlock.contracts.model import Body, Interaction, MatchingRule, MatchingRules, Pact
from interlock.contracts.pact_reader import load_pact
from interlock.errors import UserInputError

_SKIPPED = {".git", ".venv", "venv", "node_modules", ".interlock", "__pycache__"}


@dataclass(frozen=True)
class PactFile:
    pact: Pact
    file: str

    @property
    def consumer(self) -> str:
        return self.pact.consumer

    @property
    def provider(self) -> str:
        return self.pact.provider


@dataclass
class ContractIndex:
    """Every contract under a directory, and the files that could not be read."""

    pacts: list[PactFile] = field(default_factory=list)
    databases: list[DatabaseContract] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def for_service(self, name: str) -> list[PactFile]:
        """The pacts in which `name` is the consumer or the provider."""
        return [p for p in self.pacts if name in (p.consumer, p.provider)]

    def database_contracts_for(self, name: str) -> list[DatabaseContract]:
        return [c for c in self.databases if c.consumer == name]

    def pair(self, consumer: str, provider: str) -> PactFile | None:
        return next(
            (p for p in self.pacts if (p.consumer, p.provider) == (consumer, provider)), None
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "pacts": [
                {
                    "consumer": p.consumer,
                    "provider": p.provider,
                    "file": p.file,
                    "spec_version": p.pact.spec_version,
                    "interactions": len(p.pact.interactions),
                }
                for p in self.pacts
            ],
            "database_contracts": [{**c.to_json(), "file": c.file} for c in self.databases],
            "errors": self.errors,
        }


def index_contracts(root: Path) -> ContractIndex:
    """Read every contract under `root`, keeping unreadable files as errors."""
    index = ContractIndex()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED)
        here = Path(folder)
        for name in sorted(files):
            path = here / name
            try:
                if here.name == "pacts" and name.endswith(".json"):
                    index.pacts.append(PactFile(load_pact(path), str(path.relative_to(root))))
                elif name.endswith(SUFFIXES):
                    index.databases.extend(load_database_contracts([path]))
            except UserInputError as error:
                index.errors.append(str(error))
    index.pacts.sort(key=lambda p: (p.consumer, p.provider))
    return index


def interaction_view(interaction: Interaction) -> dict[str, Any]:
    """One interaction as a person reads it: given, request line, response status and body."""
    view: dict[str, Any] = {
        "description": interaction.description,
        "given": [
            state.name
            + (
                f" ({', '.join(f'{k}={v}' for k, v in state.params.items())})"
                if state.params
                else ""
            )
            for state in interaction.provider_states
        ],
        "kind": interaction.kind.value,
        "pending": interaction.pending,
    }
    request, response, message = interaction.request, interaction.response, interaction.message
    if request is not None:
        query = f"?{request.query_text}" if request.query_text else ""
        view["request"] = {
            "line": f"{request.method} {request.path}{query}",
            "headers": _headers(request.headers),
            "body": _body_text(request.body),
            "matchers": _matchers(request.matching_rules),
        }
    if response is not None:
        view["response"] = {
            "status": response.status,
            "headers": _headers(response.headers),
            "body": _body_text(response.body),
            "matchers": _matchers(response.matching_rules),
        }
        view["rules"] = sorted(
            {
                f"{category} {path}"
                for category, rules in response.matching_rules.items()
                for path in _paths(rules)
            }
        )
    if message is not None:
        view["message"] = {"body": _body_text(message.contents)}
    return view


def _headers(headers: Mapping[str, str | list[str]] | None) -> list[str]:
    """Each header as `Name: value` (a repeated header once per value)."""
    lines = []
    for name, value in (headers or {}).items():
        for one in value if isinstance(value, list) else [value]:
            lines.append(f"{name}: {one}")
    return lines


def _matcher_text(rule: MatchingRule) -> str:
    """A matcher as a person reads it: its kind and its settings (`regex ^\\d+$`, `type min=1`)."""
    settings = [
        f"{key}={json.dumps(value) if not isinstance(value, str) else value}"
        for key, value in rule.attributes.items()
        if key not in ("match", "regex")
    ]
    if "regex" in rule.attributes:
        settings.insert(0, str(rule.attributes["regex"]))
    return " ".join([rule.kind, *settings])


def _matchers(rules: MatchingRules) -> list[dict[str, Any]]:
    """Where each matcher applies (`body $.id`, `header Content-Type`), its kinds, in full."""
    found = []
    for category, by_key in rules.items():
        for key, rule_list in by_key.items():
            found.append(
                {
                    "where": f"{category} {key}".strip(),
                    "kinds": [rule.kind for rule in rule_list.matchers],
                    "matchers": [_matcher_text(rule) for rule in rule_list.matchers],
                    "combine": rule_list.combine,
                }
            )
    return found


def _paths(rules: Any) -> list[str]:
    return list(rules) if isinstance(rules, dict) else [""]


def _body_text(body: Body) -> str | None:
    if not body.present:
        return None
    if isinstance(body.content, (dict, list)):
        return json.dumps(body.content, indent=2)
    return str(body.content)
