"""The stub server as one pure ASGI app: many services, routed by port, `Host` or path prefix.

Faults that need the socket (reset, truncated body, hold) reach uvicorn's transport when present.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import struct
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from interlock.stubs.http_faults import HttpFault
from interlock.stubs.http_server import RAW_RESPONSE
from interlock.stubs.stub_routes import ReplyContext, StubReply, StubRequest
from interlock.stubs.stub_service import Journal, StubService

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ADMIN_PREFIX = "/__admin"


class StubHost:
    """Every stubbed service of one process, which port serves which, and the journal.

    `ports` maps a listening port to its one service, or to None for a shared port where
    the `Host` header's first label or the first path segment names the service.
    """

    def __init__(
        self,
        services: list[StubService],
        seed: int = 0,
        journal_size: int = 1000,
        admin_port: int | None = None,
    ) -> None:
        self.services: dict[str, StubService] = {s.name: s for s in services}
        self.ports: dict[int, str | None] = {}
        self.admin_port = admin_port
        self.seed = seed
        self.rng = random.Random(seed)
        self.journal = Journal(journal_size)
        self.urls: dict[str, str] = {}

    def reset(self) -> None:
        self.journal.clear()
        self.rng = random.Random(self.seed)
        for service in self.services.values():
            service.reset()

    def route(self, port: int | None, host: str, path: str) -> tuple[StubService | None, str]:
        """The service a request is for and the path inside it (prefix removed)."""
        if port is not None and self.ports.get(port) is not None:
            return self.services.get(self.ports[port] or ""), path
        if len(self.services) == 1 and port not in self.ports:
            return next(iter(self.services.values())), path
        label = host.split(":", 1)[0].split(".", 1)[0]
        if label in self.services:
            return self.services[label], path
        first, _, rest = path.lstrip("/").partition("/")
        if first in self.services:
            return self.services[first], "/" + rest
        if len(self.services) == 1:
            return next(iter(self.services.values())), path
        return None, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        message = await receive()
        body = message.get("body", b"")
        while message.get("more_body", False):
            message = await receive()
            body += message.get("body", b"")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request = StubRequest(
            scope["method"], scope["path"], scope["query_string"].decode("latin-1"), headers, body
        )
        server = scope.get("server")
        port = server[1] if server else None
        if request.path.startswith(ADMIN_PREFIX) or (port is not None and port == self.admin_port):
            from interlock.stubs.stub_admin import handle_admin  # admin imports this module

            await _send_reply(send, handle_admin(self, request))
            return
        service, inner_path = self.route(port, headers.get("host", ""), request.path)
        if service is None:
            reply = StubReply.json(
                404, {"error": "no stubbed service here", "services": sorted(self.services)}
            )
            await _send_reply(send, reply)
            return
        request.path = inner_path
        reply, faults = self.answer(service, request)
        if reply.delay_ms:
            await asyncio.sleep(reply.delay_ms / 1000)
        if faults:
            await _send_with_faults(receive, send, reply, faults, self.rng)
        elif RAW_RESPONSE in scope.get("extensions", ()):
            await send({"type": RAW_RESPONSE, "data": reply.wire})
        else:
            await _send_reply(send, reply)

    def answer(
        self, service: StubService, request: StubRequest
    ) -> tuple[StubReply, list[HttpFault]]:
        """The reply to a request for one service and the faults it gets, journalled."""
        selection = service.select(request)
        route = selection.route
        if route is None:
            reply = StubReply.json(
                404,
                {
                    "error": "no stub matches this request",
                    "service": service.name,
                    "request": f"{request.method} {request.target}",
                    "closest": selection.closest,
                },
            )
        elif route.static is not None:
            service.sequence += 1
            reply = route.static
        else:
            service.sequence += 1
            context = ReplyContext(
                base_url=self.urls.get(service.name, ""),
                provider_state=selection.provider_state,
                seed=self.seed,
                sequence=service.sequence,
            )
            reply = route.reply(request, context)
        faults = service.faults_for(request.method, request.path, self.rng)
        self.journal.add(
            service.name,
            request,
            reply.status,
            route,
            selection.closest if route is None else None,
            [f.name for f in faults] if faults else None,
        )
        return reply, faults


async def _send_reply(send: Send, reply: StubReply) -> None:
    await send(
        {"type": "http.response.start", "status": reply.status, "headers": reply.wire_headers}
    )
    await send({"type": "http.response.body", "body": reply.body})


def _transport(send: Send) -> asyncio.Transport | None:
    """uvicorn's transport behind `send`, to reset or cut a connection (None elsewhere)."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    return transport if isinstance(transport, asyncio.BaseTransport) else None  # type: ignore[return-value]


def _abort(send: Send, reset: bool) -> None:
    transport = _transport(send)
    if transport is None:
        raise ConnectionAbortedError("fault: connection cut")
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        # linger on with a zero timeout: close() sends RST instead of FIN
        raw = socket.socket(fileno=sock.fileno())
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            raw.detach()
    transport.abort()


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_with_faults(
    receive: Receive, send: Send, reply: StubReply, faults: list[HttpFault], rng: random.Random
) -> None:
    by_type = {fault.type: fault for fault in faults}
    if "latency" in by_type:
        fault = by_type["latency"]
        jitter = fault.attr("jitter")
        base = rng.choice(fault.samples) if fault.samples else fault.attr("latency")
        delay = base + (rng.uniform(-jitter, jitter) if jitter else 0)
        await asyncio.sleep(max(0.0, delay) / 1000)
    if "reset_peer" in by_type:
        await asyncio.sleep(by_type["reset_peer"].attr("timeout") / 1000)
        _abort(send, reset=True)
        return
    if "timeout" in by_type:
        held = by_type["timeout"].attr("timeout")
        # hold until the time is up or the client gives up, whichever comes first
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_until_disconnect(receive), held / 1000 if held else None)
        _abort(send, reset=False)
        return
    if "error" in by_type:
        status = by_type["error"].attr("status")
        reply = StubReply.json(status, {"error": "fault injected by interlock", "status": status})
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    headers.append((b"content-length", str(len(reply.body)).encode()))
    if "slow_close" in by_type:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    body = reply.body
    if "limit_data" in by_type:
        limit = by_type["limit_data"].attr("bytes")
        await send({"type": "http.response.body", "body": body[:limit], "more_body": True})
        await asyncio.sleep(0)
        _abort(send, reset=False)
        return
    if "bandwidth" in by_type and by_type["bandwidth"].attr("rate") > 0:
        per_tick = max(1, by_type["bandwidth"].attr("rate") * 1024 // 10)  # rate in KB/s
        for start in range(0, len(body), per_tick):
            await send(
                {
                    "type": "http.response.body",
                    "body": body[start : start + per_tick],
                    "more_body": True,
                }
            )
            await asyncio.sleep(0.1)
        body = b""
    if "slow_close" in by_type:
        await send({"type": "http.response.body", "body": body, "more_body": True})
        await asyncio.sleep(by_type["slow_close"].attr("delay") / 1000)
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.body", "body": body})


def json_body(request: StubRequest) -> Any:
    """The request's JSON body, or raise ValueError with a short reason."""
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError as error:
        raise ValueError(f"the body is not JSON: {error}") from None
