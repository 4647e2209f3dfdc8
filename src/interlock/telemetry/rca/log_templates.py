"""Log message templates mined online, Drain-style: messages that differ only in variables meet.

Tokens with digits (ids, counts, durations, hex) are variables up front; a message joins the
most similar template of its length and first token when at least half of the tokens agree,
and the tokens that differ become `<*>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

WILDCARD = "<*>"
SIMILARITY = 0.5
MAX_TOKENS = 40
_VARIABLE = re.compile(r"\d|^[0-9a-fA-F]{8,}$|^[^@\s]+@[^@\s]+$")
_SPLIT = re.compile(r"[\s=,;:()\[\]{}\"']+")


def tokens_of(message: str) -> list[str]:
    """The message's tokens, variables already masked, at most MAX_TOKENS."""
    words = [w for w in _SPLIT.split(message.strip()) if w][:MAX_TOKENS]
    return [WILDCARD if _VARIABLE.search(w) else w for w in words]


@dataclass
class Template:
    """One mined template: its tokens (with `<*>`), how it was first seen and its id."""

    id: int
    tokens: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def similarity(self, other: list[str]) -> float:
        same = sum(a == b and a != WILDCARD for a, b in zip(self.tokens, other, strict=True))
        fixed = sum(a != WILDCARD for a in self.tokens) or 1
        return same / fixed

    def absorb(self, other: list[str]) -> None:
        self.tokens = [a if a == b else WILDCARD for a, b in zip(self.tokens, other, strict=True)]


@dataclass
class TemplateMiner:
    """An online miner: `add` a message, get its template (new or merged)."""

    templates: list[Template] = field(default_factory=list)
    _groups: dict[tuple[int, str], list[Template]] = field(default_factory=dict)

    def add(self, message: str) -> Template:
        words = tokens_of(message) or [""]
        group = self._groups.setdefault((len(words), words[0]), [])
        best: Template | None = None
        best_score = -1.0
        for template in group:
            score = template.similarity(words)
            if score > best_score:
                best, best_score = template, score
        if best is not None and best_score >= SIMILARITY:
            best.absorb(words)
            return best
        template = Template(len(self.templates), words)
        self.templates.append(template)
        group.append(template)
        return template


def message_of(body: Any) -> str:
    """A log body as text (a structured body's `message`/`msg`/`event` field when it has one)."""
    if isinstance(body, dict):
        for key in ("message", "msg", "event"):
            if isinstance(body.get(key), str):
                return str(body[key])
        return " ".join(f"{k}={v}" for k, v in sorted(body.items()))
    return "" if body is None else str(body)


def mine(messages: Iterable[str]) -> tuple[TemplateMiner, list[int]]:
    """Mine `messages` in order; the miner and each message's template id."""
    miner = TemplateMiner()
    return miner, [miner.add(m).id for m in messages]
