"""A small, fast HTTP/1.1 server for ASGI apps, on asyncio protocols: what serves the stubs.

uvicorn's pure-Python parser (h11) caps a stub near 1,000 requests/s on one core; this one parses
only what a stub needs (Content-Length and chunked bodies, keep-alive, pipelining) and hands each
`send` a `.transport` so faults can reset or cut a connection. Besides ASGI's messages, `send` takes
`{"type": RAW_RESPONSE, "data": bytes}`, a whole response encoded once, when the scope's
`extensions` offer it; and an app that answers without waiting runs within the read, no task made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
App = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]

MAX_HEAD = 64 * 1024
_log = logging.getLogger(__name__)
_REASONS = {
    200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found",
    422: "Unprocessable Entity", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}  # fmt: skip
RAW_RESPONSE = "interlock.http.response.raw"
"""A `send` message carrying a complete response (head and body): no per-request encoding."""


def response_head(status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The status line and headers of a response, up to and including the blank line."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}".encode()]
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n"


class _Exchange:
    """One request on a connection: its `receive` and `send`, and the transport behind them."""

    def __init__(
        self, connection: _Connection, body: bytes, keep_alive: bool, head_only: bool = False
    ) -> None:
        self.head_only = head_only
        self.connection = connection
        self.transport = connection.transport
        self.body = body
        self.keep_alive = keep_alive
        self.body_sent = False
        self.started = False
        self.finished = False
        self.chunked = False
        self.head = b""

    async def receive(self) -> Message:
        if not self.body_sent:
            self.body_sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.connection.lost
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.connection.closed:
            return
        if message["type"] == RAW_RESPONSE:
            if self.started:
                return
            data = message["data"]
            if not self.keep_alive:
                data = data.replace(b"\r\n", b"\r\nconnection: close\r\n", 1)
            self.started = self.finished = True
            self.transport.write(data)
            await self.connection.drain()
            return
        if message["type"] == "http.response.start":
            status = int(message["status"])
            lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}".encode()]
            has_length = False
            for name, value in message.get("headers", []):
                lowered = name.lower()
                if lowered == b"content-length":
                    has_length = True
                elif lowered == b"connection":
                    self.keep_alive = self.keep_alive and value.lower() != b"close"
                    continue
                lines.append(name + b": " + value)
            if not has_length and not self.head_only and status not in (204, 304):
                self.chunked = True
                lines.append(b"transfer-encoding: chunked")
            if not self.keep_alive:
                lines.append(b"connection: close")
            self.head = b"\r\n".join(lines) + b"\r\n\r\n"
            self.started = True
            return
        if message["type"] != "http.response.body" or self.finished:
            return
        body = b"" if self.head_only else message.get("body", b"")
        more = message.get("more_body", False)
        if self.chunked:
            data = (b"%x\r\n%b\r\n" % (len(body), body)) if body else b""
            if not more:
                data += b"0\r\n\r\n"
        else:
            data = body
        if self.head:
            data, self.head = self.head + data, b""
        if data:
            self.transport.write(data)
        if not more:
            self.finished = True
            await self.connection.drain()


class _Connection(asyncio.Protocol):
    def __init__(self, app: App, server: HttpServer) -> None:
        self.app = app
        self.server = server
        self.buffer = bytearray()
        self.queue: list[tuple[MutableMapping[str, Any], bytes, bool]] = []
        self.busy = False
        self.closed = False
        self.continued = False
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._drained: asyncio.Event | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        self.client = (peer[0], peer[1]) if peer else None
        self.local = (local[0], local[1]) if local else None
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)
        if not self.lost.done():
            self.lost.set_result(None)
        if self._drained is not None:
            self._drained.set()

    def pause_writing(self) -> None:
        self._drained = asyncio.Event()

    def resume_writing(self) -> None:
        if self._drained is not None:
            self._drained.set()
            self._drained = None

    async def drain(self) -> None:
        if self._drained is not None:
            await self._drained.wait()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self._parse_one():
            pass
        if len(self.buffer) > MAX_HEAD and b"\r\n\r\n" not in self.buffer[:MAX_HEAD]:
            self._fail(b"431 Request Header Fields Too Large")
        if not self.busy and self.queue:
            self._next()

    def _fail(self, status: bytes) -> None:
        self.transport.write(
            b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        self.transport.close()
        self.buffer.clear()

    def _parse_one(self) -> bool:
        """Take one complete request off the buffer (False when more bytes are needed)."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end]).split(b"\r\n")
        try:
            method, target, version = head[0].split(b" ", 2)
        except ValueError:
            self._fail(b"400 Bad Request")
            return False
        headers: list[tuple[bytes, bytes]] = []
        length = 0
        chunked = False
        keep_alive = version == b"HTTP/1.1"
        expect = False
        for line in head[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            headers.append((name, value))
            if name == b"content-length":
                length = int(value) if value.isdigit() else 0
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"expect" and value.lower() == b"100-continue":
                expect = True
            elif name == b"connection":
                keep_alive = (
                    value.lower() != b"close" if keep_alive else value.lower() == b"keep-alive"
                )
        start = end + 4
        if chunked:
            parsed = _dechunk(self.buffer, start)
            if parsed is None:
                return False
            body, consumed = parsed
        else:
            if len(self.buffer) < start + length:
                if expect and not self.continued:
                    self.continued = True  # curl waits a second for this before a big body
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                return False
            body, consumed = bytes(self.buffer[start : start + length]), start + length
        del self.buffer[:consumed]
        self.continued = False
        path, _, query = target.partition(b"?")
        scope: MutableMapping[str, Any] = {
            "type": "http",
            "extensions": _EXTENSIONS_HEAD if method == b"HEAD" else _EXTENSIONS,
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": version[5:].decode("latin-1"),
            "method": method.decode("latin-1").upper(),
            "scheme": "http",
            "path": _unquote(path),
            "raw_path": path,
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": self.client,
            "server": self.local,
        }
        self.queue.append((scope, body, keep_alive))
        return True

    def _next(self) -> None:
        """Run queued requests in order; one that has to wait continues in a task."""
        while self.queue and not self.busy and not self.closed:
            scope, body, keep_alive = self.queue.pop(0)
            self.busy = True
            exchange = _Exchange(self, body, keep_alive, scope["method"] == "HEAD")
            run = self._run(scope, exchange)
            # Started here rather than in a task (Python 3.12's eager tasks): a stub that
            # answers without waiting costs no task, no loop round and no context switch.
            try:
                waiting = run.send(None)
            except StopIteration:
                continue
            task = asyncio.ensure_future(_resume(run, waiting))
            self.server.tasks.add(task)
            task.add_done_callback(self._ran)
            return

    def _ran(self, task: asyncio.Task[None]) -> None:
        self.server.tasks.discard(task)
        self._next()

    async def _run(self, scope: MutableMapping[str, Any], exchange: _Exchange) -> None:
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            _log.exception("the stub app failed on %s %s", scope["method"], scope["path"])
            if not exchange.started and not self.closed:
                self._fail(b"500 Internal Server Error")
            elif not self.closed:
                self.transport.close()
        finally:
            self.busy = False
        if self.closed:
            return
        if not exchange.finished or not exchange.keep_alive:
            self.transport.close()


_EXTENSIONS: dict[str, Any] = {RAW_RESPONSE: {}}
_EXTENSIONS_HEAD: dict[str, Any] = {}  # a raw response carries a body, which HEAD must not get


async def _resume(run: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Carry on a coroutine that was started outside a task and stopped at `waiting`.

    The coroutine reads the outcome of the future it awaited by itself when sent None; only a
    cancellation of this task that did not cancel that future has to be thrown into it.
    """
    while True:
        try:
            try:
                if waiting is None:
                    await asyncio.sleep(0)
                else:
                    waiting._asyncio_future_blocking = False  # taken over, as a task's step does
                    await waiting
            except asyncio.CancelledError as error:
                if waiting is None or not waiting.cancelled():
                    waiting = run.throw(error)
                    continue
            except Exception:
                pass  # the coroutine raises it itself when sent None below
            waiting = run.send(None)
        except StopIteration:
            return


def _unquote(path: bytes) -> str:
    if b"%" not in path:
        return path.decode("latin-1")
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(path).decode("utf-8", errors="replace")


def _dechunk(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """A chunked body from `start`, and where it ends; None when incomplete."""
    out = bytearray()
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buffer[at:line_end]).split(b";", 1)[0] or b"0", 16)
        at = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", at - 2)
            return (bytes(out), trailer_end + 4) if trailer_end >= 0 else None
        if len(buffer) < at + size + 2:
            return None
        out += buffer[at : at + size]
        at += size + 2


class HttpServer:
    """Serves one ASGI app on already bound sockets until `stop()`."""

    def __init__(self, app: App, sockets: list[socket.socket]) -> None:
        self.app = app
        self.sockets = sockets
        self.connections: set[_Connection] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.started = False
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        servers = [
            await self._loop.create_server(lambda: _Connection(self.app, self), sock=sock)
            for sock in self.sockets
        ]
        self.started = True
        try:
            await self._stop.wait()
        finally:
            for server in servers:
                server.close()
            for connection in list(self.connections):
                connection.transport.abort()
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

    def stop(self) -> None:
        """Ask the server to stop (from any thread)."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
