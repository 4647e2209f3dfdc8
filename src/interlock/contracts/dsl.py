"""The consumer's fluent builder: `pact.upon_receiving(...).given(...).with_request(...).will_respond_with(...)`.

It builds the contract model (`Pact`, `Interaction`) with matchers from `match` turned into Pact rules and generators.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from interlock.contracts.match import Compiled, Matcher, compile_value
from interlock.contracts.model import (
    JSON,
    Body,
    HttpRequest,
    HttpResponse,
    Interaction,
    InteractionKind,
    Pact,
    ProviderState,
    RuleList,
)
from interlock.errors import UserInputError

if TYPE_CHECKING:
    from interlock.contracts.mock_provider import MockProvider

SPEC_VERSIONS = {"3": "3.0.0", "3.0": "3.0.0", "3.0.0": "3.0.0", "4": "4.0", "4.0": "4.0"}


class ContractDefinitionError(UserInputError):
    """A consumer test declared an interaction that cannot be written as a contract."""


def spec_version(value: str) -> str:
    """`"v4"`, `"4"`, `"4.0"` -> `"4.0"`; `"v3"`, `"3"` -> `"3.0.0"`; anything else is refused."""
    key = value.lower().removeprefix("v")
    if key not in SPEC_VERSIONS:
        raise ContractDefinitionError(
            f"unsupported Pact specification version {value!r}: expected 3 or 4"
        )
    return SPEC_VERSIONS[key]


class _Parts:
    """Rules and generators of one request or response, gathered by category."""

    def __init__(self) -> None:
        self.rules: dict[str, dict[str, RuleList]] = {}
        self.generators: dict[str, dict[str, dict[str, JSON]]] = {}

    def add(self, category: str, key: str, compiled: Compiled) -> None:
        for path, rules in compiled.rules.items():
            self.rules.setdefault(category, {})[key if category != "body" else path] = rules
        for path, spec in compiled.generators.items():
            self.generators.setdefault(category, {})[key if category != "body" else path] = spec

    def scalar(self, category: str, key: str, value: Any) -> JSON:
        """A header, query, path or status value: its example, its rules kept under `key`."""
        compiled = compile_value(value)
        self.add(category, key, compiled)
        return compiled.example

    def body(self, value: Any, content_type: str | None) -> Body:
        if value is None:
            return Body()
        compiled = compile_value(value)
        self.add("body", "", compiled)
        kind = content_type or (
            "text/plain" if isinstance(compiled.example, str) else "application/json"
        )
        return Body(present=True, content=compiled.example, content_type=kind)


def _headers(
    parts: _Parts, headers: Mapping[str, Any] | None, body: Body
) -> dict[str, str | list[str]] | None:
    out: dict[str, str | list[str]] = {}
    for name, value in (headers or {}).items():
        example = parts.scalar("header", name, value)
        out[name] = [str(v) for v in example] if isinstance(example, list) else str(example)
    if body.present and body.content_type and not any(k.lower() == "content-type" for k in out):
        out["Content-Type"] = body.content_type
    return out or None


def _query(parts: _Parts, query: Mapping[str, Any] | None) -> dict[str, list[str]] | None:
    if query is None:
        return None
    out: dict[str, list[str]] = {}
    for name, value in query.items():
        example = parts.scalar("query", name, value)
        items = example if isinstance(example, list) else [example]
        out[name] = [str(v).lower() if isinstance(v, bool) else str(v) for v in items]
    return out


class InteractionBuilder:
    """One interaction being declared; each method returns the builder so calls chain."""

    def __init__(self, description: str) -> None:
        self.description = description
        self._states: list[ProviderState] = []
        self._request: HttpRequest | None = None
        self._response: HttpResponse | None = None
        self._comments: dict[str, JSON] = {}

    def given(
        self, state: str, params: Mapping[str, JSON] | None = None, /, **more: JSON
    ) -> InteractionBuilder:
        """The provider state this interaction needs, with its parameters (`given("order exists", id=7)`)."""
        self._states.append(ProviderState(state, {**(params or {}), **more}))
        return self

    def with_request(
        self,
        method: str,
        path: str | Matcher = "/",
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> InteractionBuilder:
        """The request the consumer sends; values may be matchers (`match.regex(...)`)."""
        parts = _Parts()
        request_body = parts.body(body, content_type)
        self._request = HttpRequest(
            method=method.upper(),
            path=str(parts.scalar("path", "", path)),
            query=_query(parts, query),
            headers=_headers(parts, headers, request_body),
            body=request_body,
            matching_rules=parts.rules,
            generators=parts.generators,
        )
        return self

    def will_respond_with(
        self,
        status: int | Matcher = 200,
        *,
        headers: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> InteractionBuilder:
        """The response the consumer expects; values may be matchers (`match.integer(1)`)."""
        parts = _Parts()
        response_body = parts.body(body, content_type)
        code = parts.scalar("status", "", status)
        if not isinstance(code, int):
            raise ContractDefinitionError(
                f"interaction {self.description!r}: the status must be an integer, found {code!r}"
            )
        self._response = HttpResponse(
            status=code,
            headers=_headers(parts, headers, response_body),
            body=response_body,
            matching_rules=parts.rules,
            generators=parts.generators,
        )
        return self

    def with_comment(self, text: str) -> InteractionBuilder:
        """A free-text comment kept in the pact file (v4 `comments.text`)."""
        texts = self._comments.setdefault("text", [])
        assert isinstance(texts, list)
        texts.append(text)
        return self

    def build(self) -> Interaction:
        """The interaction, once both its request and its response are declared."""
        if self._request is None or self._response is None:
            missing = "with_request" if self._request is None else "will_respond_with"
            raise ContractDefinitionError(
                f"interaction {self.description!r} is incomplete: call {missing}(...)"
            )
        return Interaction(
            description=self.description,
            kind=InteractionKind.http,
            provider_states=tuple(self._states),
            request=self._request,
            response=self._response,
            comments=dict(self._comments),
        )


class ConsumerPact:
    """The interactions one consumer declares with one provider, in a test.

    `url` is the address of the mock provider serving them, once one is started
    (by the `interlock_pact` fixture, or `serve()`).
    """

    def __init__(self, consumer: str, provider: str, *, spec: str = "4") -> None:
        self.consumer = consumer
        self.provider = provider
        self.spec_version = spec_version(spec)
        self._builders: list[InteractionBuilder] = []
        self.mock: MockProvider | None = None

    def upon_receiving(self, description: str) -> InteractionBuilder:
        """Start declaring an interaction, named by what the provider receives."""
        if any(b.description == description for b in self._builders):
            raise ContractDefinitionError(
                f"{self.consumer} -> {self.provider}: the interaction {description!r} is declared twice"
            )
        builder = InteractionBuilder(description)
        self._builders.append(builder)
        return builder

    @property
    def interactions(self) -> tuple[Interaction, ...]:
        """Every interaction declared so far (each must be complete)."""
        return tuple(b.build() for b in self._builders)

    @property
    def url(self) -> str:
        """The mock provider's base URL (`http://127.0.0.1:PORT`)."""
        if self.mock is None:
            raise ContractDefinitionError(
                f"{self.consumer} -> {self.provider}: no mock provider is running; use serve() or the interlock_pact fixture"
            )
        return self.mock.url

    def to_pact(self) -> Pact:
        """The declared interactions as a pact of this pair."""
        return Pact(
            consumer=self.consumer,
            provider=self.provider,
            spec_version=self.spec_version,
            interactions=self.interactions,
        )

    @contextmanager
    def serve(self) -> Iterator[MockProvider]:
        """Run a mock provider for these interactions; on leaving, raise if any went wrong."""
        from interlock.contracts.mock_provider import MockProvider

        with MockProvider(self) as mock:
            self.mock = mock
            try:
                yield mock
            finally:
                self.mock = None
            mock.raise_for_problems()
