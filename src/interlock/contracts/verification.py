"""Provider verification: replay each pact interaction against a running provider and match its responses.

Provider states are set up and torn down through the state-change protocol Pact clients use.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from interlock.contracts.bodies import body_bytes, body_from_bytes
from interlock.contracts.generators import GeneratorContext, GeneratorError, generate_request
from interlock.contracts.matching import MessageMatcher, ResponseMatcher
from interlock.contracts.model import (
    JSON,
    Body,
    HttpRequest,
    HttpResponse,
    Interaction,
    InteractionKind,
    Message,
    Mismatch,
    Pact,
)
from interlock.contracts.pact_reader import load_pact
from interlock.contracts.provider_url import check_answers, check_url
from interlock.errors import UserInputError


@dataclass(frozen=True)
class VerifyOptions:
    """How to reach the provider and which interactions to replay."""

    provider: str
    base_url: str
    state_url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    description_filter: str | None = None
    jobs: int = 1
    timeout_s: float = 30.0
    message_url: str | None = None
    """POST endpoint answering {"description", "providerStates"} with the message it produces."""
    message_producer: MessageProducer | None = None
    """A Python function making the message for a description (instead of `message_url`)."""


@dataclass(frozen=True)
class ProducedMessage:
    """A message a provider made for verification: its contents and metadata."""

    contents: JSON
    metadata: Mapping[str, JSON] = field(default_factory=dict)
    content_type: str | None = "application/json"


MessageProducer = Callable[[str, Mapping[str, JSON]], ProducedMessage]
"""`(description, provider-state params) -> ProducedMessage`."""


@dataclass(frozen=True)
class InteractionResult:
    """The outcome of one interaction: passed, or its mismatches or the error that stopped it."""

    pact_file: str
    consumer: str
    description: str
    provider_states: tuple[str, ...]
    status: str
    """`passed`, `failed`, `error` (could not run) or `skipped` (not an HTTP interaction)."""
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None
    pending: bool = False
    duration_ms: float = 0.0

    @property
    def counts_as_failure(self) -> bool:
        """A failure or error of an interaction that is not pending."""
        return self.status in ("failed", "error") and not self.pending


@dataclass(frozen=True)
class VerificationReport:
    """Every interaction's result, in pact and interaction order."""

    provider: str
    results: tuple[InteractionResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """True when no interaction (other than pending ones) failed."""
        return not any(r.counts_as_failure for r in self.results)


def find_pact_files(paths: Sequence[Path]) -> list[Path]:
    """The pact files named, and the `*.json` files inside named directories (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.json")))
        elif path.is_file():
            files.append(path)
        else:
            raise UserInputError(f"{path}: no such pact file or directory")
    return files


def verify_pacts(paths: Sequence[Path], options: VerifyOptions) -> VerificationReport:
    """Verify every interaction of the pacts for `options.provider` against the running provider.

    Raises `UserInputError` for unreadable pacts, a bad filter, when no pact names the provider,
    for a URL that is not http(s), and when nothing answers at a URL the interactions need.
    """
    check_url("--base-url", options.base_url)
    check_url("--state-url", options.state_url)
    check_url("--message-url", options.message_url)
    pacts = [(str(p), load_pact(p)) for p in find_pact_files(paths)]
    mine = [(file, pact) for file, pact in pacts if pact.provider == options.provider]
    if not mine:
        names = sorted({pact.provider for _f, pact in pacts}) or ["none"]
        raise UserInputError(
            f"no pact names the provider {options.provider!r} (providers found: {', '.join(names)})"
        )
    try:
        wanted = re.compile(options.description_filter) if options.description_filter else None
    except re.error as exc:
        raise UserInputError(
            f"--filter {options.description_filter!r} is not a valid regular expression: {exc}"
        ) from exc
    work = [
        (file, pact, interaction)
        for file, pact in mine
        for interaction in pact.interactions
        if wanted is None or wanted.search(interaction.description)
    ]
    _check_reachable(options, [interaction for _file, _pact, interaction in work])
    runner = _Runner(options)
    with httpx.Client(timeout=options.timeout_s) as client:
        if options.jobs <= 1:
            results = [runner.run(client, *item) for item in work]
        else:
            with ThreadPoolExecutor(max_workers=options.jobs) as pool:
                results = list(pool.map(lambda item: runner.run(client, *item), work))
    return VerificationReport(options.provider, tuple(results))


def _check_reachable(options: VerifyOptions, interactions: Sequence[Interaction]) -> None:
    """One error before anything runs, rather than the same one for every interaction."""
    kinds = {i.kind for i in interactions}
    if InteractionKind.http in kinds:
        check_answers("--base-url", options.base_url, options.timeout_s)
    if options.state_url is not None and any(i.provider_states for i in interactions):
        check_answers("--state-url", options.state_url, options.timeout_s)
    produced = options.message_producer is not None
    if InteractionKind.message in kinds and options.message_url is not None and not produced:
        check_answers("--message-url", options.message_url, options.timeout_s)


class _Runner:
    """Runs interactions; a lock per provider state keeps interactions sharing one apart."""

    def __init__(self, options: VerifyOptions) -> None:
        self.options = options
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._matchers: dict[int, ResponseMatcher] = {}
        self._message_matchers: dict[int, MessageMatcher] = {}

    def _lock(self, state: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(state, threading.Lock())

    @contextmanager
    def _holding(self, states: Sequence[str]) -> Iterator[None]:
        with ExitStack() as stack:
            for state in sorted(set(states)):  # one global order: no deadlock
                stack.enter_context(self._lock(state))
            yield

    def run(
        self, client: httpx.Client, file: str, pact: Pact, interaction: Interaction
    ) -> InteractionResult:
        states = tuple(s.name for s in interaction.provider_states)

        def result(
            status: str,
            mismatches: Sequence[Mismatch] = (),
            error: str | None = None,
            started: float | None = None,
        ) -> InteractionResult:
            elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
            return InteractionResult(
                file,
                pact.consumer,
                interaction.description,
                states,
                status,
                tuple(mismatches),
                error,
                interaction.pending,
                elapsed,
            )

        if interaction.kind is InteractionKind.message and interaction.message is not None:
            if self.options.message_url is None and self.options.message_producer is None:
                return result("skipped", error="a message interaction needs --message-url")
            started = time.perf_counter()
            with self._holding(states):
                try:
                    params = self._change_states(client, interaction, "setup")
                    try:
                        mismatches = self._message(client, interaction, interaction.message, params)
                    finally:
                        self._change_states(client, interaction, "teardown")
                except _CannotRun as exc:
                    return result("error", error=str(exc), started=started)
            return result("failed" if mismatches else "passed", mismatches, started=started)
        request, response = interaction.request, interaction.response
        if request is None or response is None:
            return result("skipped", error="synchronous message interactions are not verified yet")
        started = time.perf_counter()
        with self._holding(states):
            try:
                params = self._change_states(client, interaction, "setup")
                try:
                    mismatches = self._exchange(client, request, response, params)
                finally:
                    self._change_states(client, interaction, "teardown")
            except _CannotRun as exc:
                return result("error", error=str(exc), started=started)
        return result("failed" if mismatches else "passed", mismatches, started=started)

    def _change_states(
        self, client: httpx.Client, interaction: Interaction, action: str
    ) -> dict[str, JSON]:
        params: dict[str, JSON] = {}
        states = interaction.provider_states
        if action == "teardown":
            states = tuple(reversed(states))
        for state in states:
            params.update(state.params)
            if self.options.state_url is None:
                continue
            payload = {"state": state.name, "params": dict(state.params), "action": action}
            try:
                reply = client.post(self.options.state_url, json=payload)
            except httpx.HTTPError as exc:
                raise _CannotRun(
                    f"provider state {state.name!r} {action}: cannot reach {self.options.state_url}: {exc}"
                ) from exc
            if reply.status_code >= 400:
                raise _CannotRun(
                    f"provider state {state.name!r} {action} answered {reply.status_code}: {reply.text[:200]}"
                )
            if action == "setup" and reply.headers.get("content-type", "").startswith(
                "application/json"
            ):
                try:
                    returned = reply.json()
                except ValueError:
                    returned = None
                if isinstance(returned, dict):
                    params.update(returned)
        return params

    def _message(
        self,
        client: httpx.Client,
        interaction: Interaction,
        expected: Message,
        params: dict[str, JSON],
    ) -> list[Mismatch]:
        producer, url = self.options.message_producer, self.options.message_url
        if producer is not None:
            try:
                made = producer(interaction.description, params)
            except Exception as exc:  # the provider's own code failed: report, do not crash
                raise _CannotRun(f"the message producer failed: {exc!r}") from exc
            actual = Message(_produced_body(made), dict(made.metadata))
        else:
            assert url is not None
            states = [
                {"name": s.name, "params": dict(s.params)} for s in interaction.provider_states
            ]
            payload = {"description": interaction.description, "providerStates": states}
            try:
                reply = client.post(url, json=payload)
            except httpx.HTTPError as exc:
                raise _CannotRun(f"cannot reach the message endpoint {url}: {exc}") from exc
            if reply.status_code >= 400:
                raise _CannotRun(
                    f"the message endpoint answered {reply.status_code}: {reply.text[:200]}"
                )
            body = body_from_bytes(reply.content, reply.headers.get("content-type"))
            actual = Message(body, _message_metadata(reply))
        key = id(expected)
        matcher = self._message_matchers.get(key)
        if matcher is None:
            matcher = self._message_matchers[key] = MessageMatcher(expected)
        return matcher.match(actual)

    def _exchange(
        self,
        client: httpx.Client,
        expected_request: HttpRequest,
        expected_response: HttpResponse,
        params: dict[str, JSON],
    ) -> list[Mismatch]:
        context = GeneratorContext(provider_state=params, mock_server_url=self.options.base_url)
        try:
            request = generate_request(expected_request, context)
        except GeneratorError as exc:
            raise _CannotRun(f"request generators: {exc}") from exc
        headers = _request_headers(request)
        for name, value in self.options.headers:
            headers[name] = value
        content = body_bytes(request.body) if request.body.present else None
        if (
            content is not None
            and request.body.content_type
            and not any(k.lower() == "content-type" for k in headers)
        ):
            headers["Content-Type"] = request.body.content_type
        url = self.options.base_url.rstrip("/") + request.path
        query: list[tuple[str, str | int | float | bool | None]] = [
            (k, v) for k, vs in (request.query or {}).items() for v in vs
        ]
        try:
            reply = client.request(
                request.method.upper(), url, params=query or None, headers=headers, content=content
            )
        except httpx.HTTPError as exc:
            raise _CannotRun(f"cannot reach the provider at {url}: {exc}") from exc
        actual = _as_response(reply)
        matcher = self._matchers.get(id(expected_response))
        if matcher is None:
            matcher = self._matchers[id(expected_response)] = ResponseMatcher(expected_response)
        return matcher.match(actual)


def _produced_body(made: ProducedMessage) -> Body:
    if isinstance(made.contents, bytes):
        return body_from_bytes(made.contents, made.content_type)
    return Body(True, made.contents, made.content_type)


class _CannotRun(Exception):
    """The interaction could not be replayed (provider or state endpoint unreachable...)."""


def _message_metadata(reply: httpx.Response) -> dict[str, JSON]:
    """Metadata sent in the `Pact-Message-Metadata` header (base64 JSON), as Pact clients do."""
    raw = reply.headers.get("pact-message-metadata")
    if not raw:
        return {}
    try:
        decoded = json.loads(base64.b64decode(raw))
    except (ValueError, binascii.Error) as exc:
        raise _CannotRun(f"Pact-Message-Metadata is not base64 JSON: {exc}") from exc
    return decoded if isinstance(decoded, dict) else {}


def _request_headers(request: HttpRequest) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in (request.headers or {}).items():
        out[name] = ", ".join(value) if isinstance(value, list) else value
    return out


def _as_response(reply: httpx.Response) -> HttpResponse:
    headers: dict[str, str | list[str]] = {}
    for name, value in reply.headers.multi_items():
        if name in headers:
            headers[name] = f"{headers[name]}, {value}"
        else:
            headers[name] = value
    content_type = reply.headers.get("content-type")
    return HttpResponse(reply.status_code, headers, body_from_bytes(reply.content, content_type))


def report_to_json(report: VerificationReport) -> dict[str, Any]:
    """The report as plain JSON data for `--format json`."""
    return {
        "provider": report.provider,
        "passed": report.passed,
        "summary": {
            status: sum(1 for r in report.results if r.status == status)
            for status in ("passed", "failed", "error", "skipped")
        },
        "interactions": [
            {
                "pact": r.pact_file,
                "consumer": r.consumer,
                "description": r.description,
                "providerStates": list(r.provider_states),
                "status": r.status,
                "pending": r.pending,
                "duration_ms": round(r.duration_ms, 3),
                "error": r.error,
                "mismatches": [
                    {
                        "category": m.category,
                        "path": m.path,
                        "expected": m.expected,
                        "actual": m.actual,
                        "message": m.message,
                    }
                    for m in r.mismatches
                ],
            }
            for r in report.results
        ],
    }
