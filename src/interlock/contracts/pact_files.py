"""Pact files written by consumer tests: one per consumer-provider pair, interactions merged across tests.

Interactions are sorted by description then provider states, so the same tests always write the same bytes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from interlock.contracts.model import Interaction, Pact
from interlock.contracts.pact_reader import load_pact
from interlock.contracts.pact_writer import interaction_to_json, pact_to_json, write_pact
from interlock.errors import UserInputError


class WriteMode(StrEnum):
    """`overwrite`: a file holds exactly what this run's tests declared; `merge`: also keep the file's others."""

    overwrite = "overwrite"
    merge = "merge"


class PactConflictError(UserInputError):
    """Two tests declared the same interaction (description and states) differently."""


def pact_file_name(consumer: str, provider: str) -> str:
    """`gateway-inventory.json`, the name Pact tools give a pair's file."""
    return f"{consumer}-{provider}.json"


def interaction_key(interaction: Interaction) -> tuple[str, str]:
    """What identifies an interaction in a pact: its description and its provider states."""
    states = [[s.name, dict(s.params)] for s in interaction.provider_states]
    return interaction.description, json.dumps(states, sort_keys=True, default=str)


def _same(a: Interaction, b: Interaction, major: int) -> bool:
    return interaction_to_json(a, major) == interaction_to_json(b, major)


def merge_interactions(
    pair: str, first: Iterable[Interaction], then: Iterable[Interaction], major: int, strict: bool
) -> tuple[Interaction, ...]:
    """`first` and `then` as one sorted tuple; with `strict`, a key declared differently is an error.

    Without `strict`, an interaction of `then` replaces the one of `first` with the same key.
    """
    merged: dict[tuple[str, str], Interaction] = {}
    for interaction in first:
        merged[interaction_key(interaction)] = interaction
    for interaction in then:
        key = interaction_key(interaction)
        known = merged.get(key)
        if strict and known is not None and not _same(known, interaction, major):
            raise PactConflictError(
                f"{pair}: the interaction {interaction.description!r} is declared twice with different requests or responses"
            )
        merged[key] = interaction
    return tuple(merged[key] for key in sorted(merged))


@dataclass
class PactCollector:
    """The pacts the consumer tests of one run declared, by pair, until `write` puts them on disk."""

    directory: Path
    mode: WriteMode = WriteMode.overwrite
    _pacts: dict[tuple[str, str], Pact] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, pact: Pact) -> None:
        """Merge a test's interactions into its pair's pact (refused when they contradict)."""
        pair = (pact.consumer, pact.provider)
        with self._lock:
            known = self._pacts.get(pair)
            if known is None:
                self._pacts[pair] = replace(
                    pact,
                    interactions=merge_interactions(
                        f"{pact.consumer} -> {pact.provider}",
                        (),
                        pact.interactions,
                        pact.major_version,
                        True,
                    ),
                )
                return
            if known.spec_version != pact.spec_version:
                raise PactConflictError(
                    f"{pact.consumer} -> {pact.provider}: tests declare both Pact specification "
                    f"{known.spec_version} and {pact.spec_version}; use one version per pair"
                )
            interactions = merge_interactions(
                f"{pact.consumer} -> {pact.provider}",
                known.interactions,
                pact.interactions,
                pact.major_version,
                True,
            )
            self._pacts[pair] = replace(known, interactions=interactions)

    def drop(self, consumer: str, provider: str) -> None:
        """Forget a pair (its file is then left as it was)."""
        with self._lock:
            self._pacts.pop((consumer, provider), None)

    @property
    def pacts(self) -> list[Pact]:
        """The collected pacts, sorted by consumer then provider."""
        with self._lock:
            return [self._pacts[pair] for pair in sorted(self._pacts)]

    def write(self) -> list[Path]:
        """Write one file per pair into `directory`; returns the paths written."""
        written = []
        for pact in self.pacts:
            path = self.directory / pact_file_name(pact.consumer, pact.provider)
            if self.mode is WriteMode.merge and path.exists():
                old = load_pact(path)
                interactions = merge_interactions(
                    f"{pact.consumer} -> {pact.provider}",
                    old.interactions,
                    pact.interactions,
                    pact.major_version,
                    False,
                )
                pact = replace(pact, interactions=interactions)
            write_if_changed(pact, path)
            written.append(path)
        return written


def write_if_changed(pact: Pact, path: Path) -> bool:
    """Write the pact unless the file already holds exactly it (keeps file times of unchanged pacts)."""
    text = json.dumps(pact_to_json(pact), indent=2, ensure_ascii=False) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    write_pact(pact, path)
    return True
