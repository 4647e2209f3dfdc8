"""`stub record`: a reverse proxy in front of a real service that writes what passes as a Pact v4 file.

Bodies are stored decoded (gzip and chunked undone), secrets redacted, varying values given matchers.
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx

from interlock.contracts import (
    Body,
    HttpRequest,
    HttpResponse,
    Interaction,
    MatchingRule,
    Pact,
    RuleList,
    write_pact,
)
from interlock.stubs.matcher_inference import REDACTED, infer_matchers, is_secret_header, path_rule
from interlock.stubs.pact_routes import request_body

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_HOP = {
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
}
_REQUEST_KEEP = {"content-type", "accept"}
_RESPONSE_DROP = _HOP | {"date", "server"}


def _decode(data: bytes, encoding: str) -> bytes:
    encoding = encoding.lower().strip()
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    return data


class RecordingProxy:
    """An ASGI app forwarding every request to `target` and keeping each exchange for the pact."""

    def __init__(self, target: str, consumer: str, provider: str) -> None:
        self.target = target.rstrip("/")
        self.consumer = consumer
        self.provider = provider
        self.interactions: list[Interaction] = []
        self._seen: set[tuple[str, str, str, bytes, int]] = set()
        self._lock = threading.Lock()
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        more = True
        while more:
            message = await receive()
            raw += message.get("body", b"")
            more = message.get("more_body", False)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        forward = [(k, v) for k, v in headers if k not in _HOP]
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=60)
        query = scope["query_string"].decode("latin-1")
        url = self.target + scope["path"] + (f"?{query}" if query else "")
        try:
            response = await self._client.request(
                scope["method"], url, headers=forward, content=raw
            )
        except httpx.HTTPError as error:
            body = json.dumps({"error": f"cannot reach {self.target}: {error}"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 502,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        content = response.content  # httpx undoes gzip/deflate and chunked transfer
        out_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.multi_items()
            if k.lower() not in _HOP
        ]
        out_headers.append((b"content-length", str(len(content)).encode()))
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": out_headers}
        )
        await send({"type": "http.response.body", "body": content})
        request_headers = dict(headers)
        decoded = _decode(raw, request_headers.get("content-encoding", ""))
        self.record(
            scope["method"], scope["path"], query, request_headers, decoded, response, content
        )

    def record(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        response: httpx.Response,
        content: bytes,
    ) -> None:
        """Keep one exchange (the first of each distinct request and status)."""
        key = (method, path, query, body, response.status_code)
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
        request = _request(method, path, query, headers, body)
        reply = _response(response, content)
        description = f"{method} {path}{'?' + query if query else ''} -> {response.status_code}"
        with self._lock:
            self.interactions.append(
                Interaction(description=description, request=request, response=reply)
            )

    def pact(self) -> Pact:
        with self._lock:
            interactions = tuple(self.interactions)
        return Pact(
            consumer=self.consumer,
            provider=self.provider,
            spec_version="4.0",
            interactions=interactions,
            metadata={
                "pactSpecification": {"version": "4.0"},
                "interlock": {"recordedFrom": self.target},
            },
        )

    def write(self, out_dir: Path) -> Path:
        """Write the pact as `<consumer>-<provider>.json` in `out_dir`; returns its path."""
        path = out_dir / f"{self.consumer}-{self.provider}.json"
        write_pact(self.pact(), path)
        return path

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _request(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> HttpRequest:
    from urllib.parse import parse_qs

    kept: dict[str, str] = {}
    header_rules: dict[str, RuleList] = {}
    for name, value in headers.items():
        if name == "cookie":
            continue  # session state of the recording client, not part of the contract
        if is_secret_header(name):
            kept[name] = REDACTED
            # the replay asks for the header, not for the recorded secret
            header_rules[name] = RuleList(
                (MatchingRule("regex", {"match": "regex", "regex": ".+"}),)
            )
        elif name in _REQUEST_KEEP and not (name == "accept" and value == "*/*"):
            kept[name] = value
    if not body:
        kept.pop("content-type", None)
    rules: dict[str, dict[str, RuleList]] = {}
    if header_rules:
        rules["header"] = header_rules
    by_path = path_rule(path)
    if by_path is not None:
        rules["path"] = {"": by_path}
    parsed = request_body(body, headers.get("content-type"))
    if parsed.present and isinstance(parsed.content, dict | list):
        body_rules = infer_matchers(parsed.content)
        if body_rules:
            rules["body"] = body_rules
    return HttpRequest(
        method=method,
        path=path,
        query=parse_qs(query, keep_blank_values=True) if query else None,
        headers=kept or None,
        body=parsed,
        matching_rules=rules,
    )


def _response(response: httpx.Response, content: bytes) -> HttpResponse:
    headers: dict[str, str] = {}
    for name, value in response.headers.items():
        lowered = name.lower()
        if lowered in _RESPONSE_DROP:
            continue
        headers[lowered] = REDACTED if is_secret_header(lowered) else value
    body = request_body(content, response.headers.get("content-type"))
    rules: dict[str, dict[str, RuleList]] = {}
    if body.present and isinstance(body.content, dict | list):
        body_rules = infer_matchers(body.content)
        if body_rules:
            rules["body"] = body_rules
    if isinstance(body.content, bytes):
        import base64

        body = Body(True, base64.b64encode(body.content).decode(), body.content_type, "base64")
    return HttpResponse(
        status=response.status_code, headers=headers or None, body=body, matching_rules=rules
    )
