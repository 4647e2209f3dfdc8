"""The Pact contract model: pacts, interactions, bodies, matching rules and generators.

Every object keeps the fields Interlock does not use in `extra`, so a file read and written back loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JSON = Any
"""A value as `json.loads` returns it."""


class InteractionKind(StrEnum):
    """What an interaction exchanges: one HTTP request and response, or one message."""

    http = "Synchronous/HTTP"
    message = "Asynchronous/Messages"
    sync_message = "Synchronous/Messages"


@dataclass(frozen=True)
class Body:
    """A request, response or message body.

    `present` is False when the pact has no body at all (anything is then accepted);
    `content` is a JSON value for JSON bodies, text for text/XML/form bodies, bytes for binary.
    `v4_object` remembers that the file wrote it as a v4 `{"content": ...}` object.
    """

    present: bool = False
    content: JSON = None
    content_type: str | None = None
    encoded: str | bool = False
    v4_object: bool = False
    extra: Mapping[str, JSON] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """No body, a JSON null, an empty string or no bytes."""
        return not self.present or self.content is None or self.content in ("", b"")


@dataclass(frozen=True)
class MatchingRule:
    """One matcher: its kind (`type`, `regex`, `integer`...) and its settings (`min`, `regex`...)."""

    kind: str
    attributes: Mapping[str, JSON] = field(default_factory=dict)

    def get(self, key: str, default: JSON = None) -> JSON:
        """A setting of the matcher, or `default`."""
        return self.attributes.get(key, default)


@dataclass(frozen=True)
class RuleList:
    """The matchers at one path, combined with AND (all must pass) or OR (one is enough)."""

    matchers: tuple[MatchingRule, ...]
    combine: str = "AND"
    combine_written: bool = False


MatchingRules = Mapping[str, Mapping[str, RuleList]]
"""Category (`body`, `header`, `query`, `path`, `status`, `metadata`) -> key -> rules.

Body keys are JSON path expressions (`$.items[*].id`); header and query keys are names;
the `path` and `status` categories use the key `""` when the file has no key level.
"""

Generators = Mapping[str, Mapping[str, Mapping[str, JSON]]]
"""Category -> key -> generator settings (`{"type": "RandomInt", "min": 1}`); keyless as above."""


@dataclass(frozen=True)
class ProviderState:
    """A state the provider must be put in before an interaction, with its parameters."""

    name: str
    params: Mapping[str, JSON] = field(default_factory=dict)
    extra: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpRequest:
    """The request a consumer sends. Header values stay as the file wrote them.

    `query_text` keeps a v1/v2 query string exactly as written, for writing it back.
    """

    method: str = "GET"
    path: str = "/"
    query: Mapping[str, list[str]] | None = None
    query_text: str | None = None
    headers: Mapping[str, str | list[str]] | None = None
    body: Body = field(default_factory=Body)
    matching_rules: MatchingRules = field(default_factory=dict)
    generators: Generators = field(default_factory=dict)
    extra: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpResponse:
    """The response a consumer expects back."""

    status: int | None = 200
    headers: Mapping[str, str | list[str]] | None = None
    body: Body = field(default_factory=Body)
    matching_rules: MatchingRules = field(default_factory=dict)
    generators: Generators = field(default_factory=dict)
    extra: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """An asynchronous message: contents, metadata and their rules and generators."""

    contents: Body = field(default_factory=Body)
    metadata: Mapping[str, JSON] = field(default_factory=dict)
    matching_rules: MatchingRules = field(default_factory=dict)
    generators: Generators = field(default_factory=dict)
    extra: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class Interaction:
    """One interaction of a pact: an HTTP exchange (request/response) or a message."""

    description: str
    kind: InteractionKind = InteractionKind.http
    provider_states: tuple[ProviderState, ...] = ()
    request: HttpRequest | None = None
    response: HttpResponse | None = None
    message: Message | None = None
    pending: bool = False
    comments: Mapping[str, JSON] = field(default_factory=dict)
    key: str | None = None
    extra: Mapping[str, JSON] = field(default_factory=dict)
    written_keys: frozenset[str] = frozenset()
    """Optional keys the source file wrote even when empty (`providerStates`, `pending`, `metadata`)."""


@dataclass(frozen=True)
class Pact:
    """A contract between one consumer and one provider, in one specification version."""

    consumer: str
    provider: str
    spec_version: str = "4.0"
    interactions: tuple[Interaction, ...] = ()
    metadata: Mapping[str, JSON] = field(default_factory=dict)
    consumer_extra: Mapping[str, JSON] = field(default_factory=dict)
    provider_extra: Mapping[str, JSON] = field(default_factory=dict)
    extra: Mapping[str, JSON] = field(default_factory=dict)
    file_had_messages: bool = False

    @property
    def major_version(self) -> int:
        """1, 2, 3 or 4."""
        return int(self.spec_version.split(".")[0])


@dataclass(frozen=True)
class Mismatch:
    """One difference between what a contract expects and what came.

    `category` is where (`method`, `path`, `query`, `header`, `status`, `body`, `metadata`),
    `path` the place inside it (`$.items[0].id`, a header or parameter name).
    """

    category: str
    path: str
    expected: str
    actual: str
    message: str

    def __str__(self) -> str:
        where = f"{self.category} {self.path}" if self.path else self.category
        return f"{where}: {self.message}"
