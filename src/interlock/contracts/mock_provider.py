"""A mock provider: a real HTTP server on 127.0.0.1 that answers a consumer test from its contract.

It serves each declared interaction (generators applied), and reports requests that matched nothing (with the closest interaction and its mismatches) and interactions never called.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from interlock.contracts.bodies import body_bytes, body_from_bytes
from interlock.contracts.generators import GeneratorContext, GeneratorError, generate_response
from interlock.contracts.matching import RequestMatcher
from interlock.contracts.model import HttpRequest, Interaction, Mismatch
from interlock.errors import InterlockError

_PREVIEW = 300


class InteractionSource(Protocol):
    """What a mock provider serves from: a pair and its interactions (a `ConsumerPact`)."""

    consumer: str
    provider: str
    spec_version: str

    @property
    def interactions(self) -> tuple[Interaction, ...]: ...


class MockProviderError(InterlockError, AssertionError):
    """A consumer test's calls did not fit its contract; the message is the readable diff."""


@dataclass(frozen=True)
class UnexpectedRequest:
    """A request no interaction matched, with the closest interaction and why it did not match."""

    request: HttpRequest
    closest: Interaction | None
    mismatches: tuple[Mismatch, ...]


@dataclass(frozen=True)
class MockReport:
    """What happened on a mock provider: calls per interaction, unexpected requests, missed interactions."""

    consumer: str
    provider: str
    calls: Mapping[str, int]
    unexpected: tuple[UnexpectedRequest, ...]
    missing: tuple[Interaction, ...]

    @property
    def ok(self) -> bool:
        """Every request matched an interaction and every interaction was called."""
        return not self.unexpected and not self.missing

    def describe(self) -> str:
        """The problems as text a person reads at once (empty when there are none)."""
        if self.ok:
            return ""
        count = len(self.unexpected) + len(self.missing)
        lines = [f"mock provider {self.consumer} -> {self.provider}: {count} problem(s)"]
        for item in self.unexpected:
            lines.append("")
            lines.append(f"request matched no interaction: {_request_line(item.request)}")
            preview = _body_preview(item.request)
            if preview:
                lines.append(f"  body: {preview}")
            if item.closest is None:
                lines.append("  (no interaction is declared)")
                continue
            lines.append(f"  closest interaction: {_title(item.closest)}")
            for mismatch in item.mismatches:
                where = f"{mismatch.category} {mismatch.path}".strip()
                lines.append(f"    {where}: {mismatch.message}")
                lines.append(f"      - expected: {mismatch.expected}")
                lines.append(f"      + received: {mismatch.actual or '(nothing)'}")
        for interaction in self.missing:
            lines.append("")
            lines.append(f"interaction never called: {_title(interaction)}")
        return "\n".join(lines)


def _title(interaction: Interaction) -> str:
    text = repr(interaction.description)
    if interaction.request is not None:
        text += f" ({_request_line(interaction.request)})"
    states = [
        s.name + (f" {json.dumps(dict(s.params), sort_keys=True)}" if s.params else "")
        for s in interaction.provider_states
    ]
    if states:
        text += " given " + "; ".join(states)
    return text


def _request_line(request: HttpRequest) -> str:
    query = "&".join(f"{k}={v}" for k, vs in (request.query or {}).items() for v in vs)
    return f"{request.method.upper()} {request.path}" + (f"?{query}" if query else "")


def _body_preview(request: HttpRequest) -> str:
    if not request.body.present:
        return ""
    content = request.body.content
    text = content if isinstance(content, str) else json.dumps(content, default=repr)
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "..."


def _closeness(mismatches: list[Mismatch]) -> tuple[int, int]:
    """Lower is closer: a different method or path counts more than a body detail."""
    weight = sum(
        4 if m.category == "method" else 2 if m.category == "path" else 0 for m in mismatches
    )
    return weight, len(mismatches)


@dataclass
class _Record:
    calls: dict[str, int] = field(default_factory=dict)
    unexpected: list[UnexpectedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class MockProvider:
    """Serves the interactions of `source` on 127.0.0.1; use as a context manager or start/stop."""

    def __init__(self, source: InteractionSource, port: int = 0) -> None:
        self.source = source
        self._record = _Record()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> MockProvider:
        """Accept requests in a background thread (the socket already listens)."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> MockProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def report(self) -> MockReport:
        """What happened so far."""
        interactions = self.source.interactions
        with self._record.lock:
            calls = dict(self._record.calls)
            unexpected = tuple(self._record.unexpected)
        missing = tuple(i for i in interactions if not calls.get(i.description))
        return MockReport(self.source.consumer, self.source.provider, calls, unexpected, missing)

    def raise_for_problems(self) -> None:
        """Raise `MockProviderError` with the readable diff when anything went wrong."""
        report = self.report()
        if not report.ok:
            raise MockProviderError(report.describe())

    def answer(self, request: HttpRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        """The status, headers and body to send back for `request` (and record the call)."""
        try:
            interactions = self.source.interactions
        except InterlockError as exc:
            return _error(500, str(exc))
        results = [
            (i, RequestMatcher(i.request, self.source.spec_version).match(request))
            for i in interactions
            if i.request is not None
        ]
        matched = [i for i, problems in results if not problems]
        if not matched:
            closest = min(results, key=lambda r: _closeness(r[1]), default=None)
            item = UnexpectedRequest(
                request,
                closest[0] if closest else None,
                tuple(closest[1]) if closest else (),
            )
            with self._record.lock:
                self._record.unexpected.append(item)
            return _error(500, "the request matched no interaction", item)
        with self._record.lock:
            chosen = next(
                (i for i in matched if not self._record.calls.get(i.description)), matched[0]
            )
            self._record.calls[chosen.description] = (
                self._record.calls.get(chosen.description, 0) + 1
            )
        return self._respond(chosen)

    def _respond(self, interaction: Interaction) -> tuple[int, list[tuple[str, str]], bytes]:
        assert interaction.response is not None
        params: dict[str, Any] = {}
        for state in interaction.provider_states:
            params.update(state.params)
        context = GeneratorContext(provider_state=params, mock_server_url=self.url)
        try:
            response = generate_response(interaction.response, context)
        except GeneratorError as exc:
            return _error(500, f"interaction {interaction.description!r}: {exc}")
        headers: list[tuple[str, str]] = []
        for name, value in (response.headers or {}).items():
            for one in value if isinstance(value, list) else [value]:
                headers.append((name, one))
        content = body_bytes(response.body) if response.body.present else b""
        if (
            content
            and response.body.content_type
            and not any(n.lower() == "content-type" for n, _ in headers)
        ):
            headers.append(("Content-Type", response.body.content_type))
        return response.status or 200, headers, content


def _error(
    status: int, message: str, item: UnexpectedRequest | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    data: dict[str, Any] = {"error": message}
    if item is not None and item.closest is not None:
        data["closest"] = item.closest.description
        data["mismatches"] = [str(m) for m in item.mismatches]
    return status, [("Content-Type", "application/json")], json.dumps(data).encode()


def _handler_for(mock: MockProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def _handle(self) -> None:
            target = urlsplit(self.path)
            headers: dict[str, str | list[str]] = {}
            for name, value in self.headers.items():
                current = headers.get(name)
                headers[name] = value if current is None else f"{current}, {value}"
            raw = self._read_body()
            query = parse_qs(target.query, keep_blank_values=True) if target.query else None
            request = HttpRequest(
                method=self.command,
                path=unquote(target.path),
                query=query,
                query_text=target.query or None,
                headers=headers,
                body=body_from_bytes(raw, self.headers.get("Content-Type")),
            )
            status, reply_headers, content = mock.answer(request)
            self.send_response(status)
            for name, value in reply_headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        def _read_body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the report says what matters; access lines would drown a test's output

    return Handler
