"""One TCP fault proxy: a listener that streams bytes to an upstream through live toxics.

All on one asyncio event loop: per connection two links (one per direction), each a reader
and a pump task; toxics are read from the proxy for every chunk, so changes apply at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from interlock.chaos.toxics import ChaosApiError, Stream, Toxic, ToxicType, update_toxic

logger = logging.getLogger(__name__)

CHUNK_SIZE = 32 * 1024
QUEUE_CHUNKS = 16  # read-ahead per direction; past it the reader waits (TCP backpressure)


def split_address(text: str, field: str) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or `:port` into (host, port); a 400 naming `field` otherwise."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise ChaosApiError(400, f"bad request body: {field}: expected host:port, got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port_text)


def _format_address(sockname: tuple[Any, ...]) -> str:
    host, port = sockname[0], sockname[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class _Chunk:
    data: bytes
    arrived: float  # loop time when read, so latency is measured from arrival as in Toxiproxy


class Link:
    """One direction of one connection: source → toxics of `stream` → destination."""

    def __init__(
        self,
        connection: Connection,
        stream: Stream,
        source: asyncio.StreamReader,
        dest: asyncio.StreamWriter,
    ) -> None:
        self.connection = connection
        self.stream = stream
        self.source = source
        self.dest = dest
        self._items: deque[_Chunk | None] = deque()
        self._wakeup = asyncio.Event()  # new data, or the toxics changed
        self._space = asyncio.Event()  # the pump took an item
        self._changed = asyncio.Event()  # the toxics changed (interrupts holds)
        self._finished = False
        self._rolls: dict[str, tuple[Toxic, bool]] = {}
        self._sent: dict[str, int] = {}
        self._rng = random.Random()

    @property
    def proxy(self) -> Proxy:
        return self.connection.proxy

    def toxics_changed(self) -> None:
        names = {toxic.name for toxic in self.proxy.chain(self.stream)}
        self._sent = {name: sent for name, sent in self._sent.items() if name in names}
        self._changed.set()
        self._wakeup.set()

    def _active_chain(self) -> list[Toxic]:
        """The toxics of this direction that apply here; toxicity is rolled once per toxic."""
        active = []
        for toxic in self.proxy.chain(self.stream):
            rolled = self._rolls.get(toxic.name)
            if rolled is None or rolled[0] is not toxic:
                rolled = (toxic, self._rng.random() < toxic.toxicity)
                self._rolls[toxic.name] = rolled
            if rolled[1]:
                active.append(toxic)
        return active

    def _still_there(self, toxic: Toxic) -> bool:
        return any(current is toxic for current in self.proxy.chain(self.stream))

    async def read(self) -> None:
        """Read chunks from the source into the bounded queue; `None` marks the end."""
        try:
            while not self._finished:
                if len(self._items) >= QUEUE_CHUNKS:
                    self._space.clear()
                    await self._space.wait()
                    continue
                data = await self.source.read(CHUNK_SIZE)
                if not data:
                    break
                self._items.append(_Chunk(data, asyncio.get_running_loop().time()))
                self._wakeup.set()
        except OSError:
            pass
        finally:
            self._items.append(None)
            self._wakeup.set()

    async def pump(self) -> None:
        """Pass chunks through the toxics to the destination until the link ends."""
        try:
            while True:
                chunk = await self._next_chunk()
                if chunk is None:
                    await self._slow_close()
                    break
                if not await self._through(self._active_chain(), 0, chunk):
                    break
        except OSError:
            self.connection.close()
            return
        finally:
            self._finished = True
            self._space.set()
        self.connection.end_link(self)

    async def _next_chunk(self) -> _Chunk | None:
        """The next chunk or end; `None` also when a `timeout` toxic's time runs out idle."""
        while not self._items:
            self._wakeup.clear()
            timeouts = [
                t.attr("timeout") for t in self._active_chain() if t.type is ToxicType.timeout
            ]
            limit = min((ms for ms in timeouts if ms > 0), default=0)
            if limit:
                try:
                    async with asyncio.timeout(limit / 1000.0):
                        await self._wakeup.wait()
                except TimeoutError:
                    return None
            else:
                await self._wakeup.wait()
        item = self._items.popleft()
        self._space.set()
        return item

    async def _hold(self, seconds: float, toxic: Toxic) -> None:
        """Wait `seconds`, but stop early if `toxic` is removed or updated meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        if not self._still_there(toxic):
            return
        while (remaining := deadline - loop.time()) > 0:
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                return
            if not self._still_there(toxic):
                return

    async def _through(self, chain: list[Toxic], index: int, chunk: _Chunk) -> bool:
        """Apply `chain[index:]` to `chunk` and write what comes out; False ends the link."""
        if index == len(chain):
            self.dest.write(chunk.data)
            await self.dest.drain()
            return True
        toxic = chain[index]
        after = index + 1
        kind = toxic.type
        if kind is ToxicType.latency:
            loop = asyncio.get_running_loop()
            due = chunk.arrived + toxic.latency_delay(self._rng)
            await self._hold(due - loop.time(), toxic)
            return await self._through(chain, after, chunk)
        if kind is ToxicType.bandwidth and toxic.attr("rate") > 0:
            rate = toxic.attr("rate")  # KB/s, i.e. bytes per millisecond
            step = rate * 100  # send in 100 ms portions, as Toxiproxy does
            for start in range(0, len(chunk.data), step):
                part = chunk.data[start : start + step]
                await self._hold(len(part) / rate / 1000.0, toxic)
                if not await self._through(chain, after, _Chunk(part, chunk.arrived)):
                    return False
            return True
        if kind is ToxicType.slicer and toxic.attr("average_size") > 0:
            start = 0
            for size in toxic.slice_sizes(len(chunk.data), self._rng):
                piece = _Chunk(chunk.data[start : start + size], chunk.arrived)
                start += size
                if not await self._through(chain, after, piece):
                    return False
                await self._hold(toxic.attr("delay") / 1_000_000.0, toxic)
            return True
        if kind is ToxicType.timeout:
            return True  # the data is dropped; the idle timer lives in _next_chunk
        if kind is ToxicType.reset_peer:
            await asyncio.sleep(toxic.attr("timeout") / 1000.0)
            self.connection.close(reset=True)
            return False
        if kind is ToxicType.limit_data:
            return await self._limit(chain, index, chunk)
        return await self._through(chain, after, chunk)  # slow_close; rate or size 0

    async def _limit(self, chain: list[Toxic], index: int, chunk: _Chunk) -> bool:
        toxic = chain[index]
        sent = self._sent.get(toxic.name, 0)
        part = chunk.data[: max(toxic.attr("bytes") - sent, 0)]
        if part:
            if not await self._through(chain, index + 1, _Chunk(part, chunk.arrived)):
                return False
            sent += len(part)
            self._sent[toxic.name] = sent
        return sent < toxic.attr("bytes")

    async def _slow_close(self) -> None:
        for toxic in self._active_chain():
            if toxic.type is ToxicType.slow_close:
                await asyncio.sleep(toxic.attr("delay") / 1000.0)


class Connection:
    """A client connection and its upstream connection, joined by two links."""

    def __init__(
        self,
        proxy: Proxy,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.proxy = proxy
        self.writers = (client[1], upstream[1])
        self.links = (
            Link(self, Stream.upstream, client[0], upstream[1]),
            Link(self, Stream.downstream, upstream[0], client[1]),
        )
        self.closed = False
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        work: list[Coroutine[Any, Any, None]] = []
        for link in self.links:
            work += [link.read(), link.pump()]
        self._tasks = [asyncio.create_task(job) for job in work]
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        self.close()
        for result in results:
            if isinstance(result, Exception):  # our bug: keep its traceback in the log
                logger.error("proxy %s: a link failed", self.proxy.name, exc_info=result)

    def toxics_changed(self) -> None:
        for link in self.links:
            link.toxics_changed()

    def end_link(self, link: Link) -> None:
        """A direction ended: close its destination; the other direction then sees the end."""
        link.dest.close()

    def close(self, reset: bool = False) -> None:
        """Close both sockets; with `reset`, SO_LINGER 0 makes the close a TCP RST."""
        if self.closed:
            return
        self.closed = True
        for writer in self.writers:
            if reset:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                writer.transport.abort()
            else:
                writer.close()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()


class Proxy:
    """A named proxy: `listen` → `upstream`, its toxics in order, and its live connections."""

    def __init__(self, name: str, listen: str, upstream: str) -> None:
        split_address(listen, "listen")
        split_address(upstream, "upstream")
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.toxics: list[Toxic] = []
        self._server: asyncio.Server | None = None
        self._connections: set[Connection] = set()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [toxic.to_json() for toxic in self.ordered_toxics()],
        }

    def ordered_toxics(self) -> list[Toxic]:
        """Upstream toxics first, then downstream, each in the order added (as Toxiproxy)."""
        return self.chain(Stream.upstream) + self.chain(Stream.downstream)

    def chain(self, stream: Stream) -> list[Toxic]:
        return [toxic for toxic in self.toxics if toxic.stream is stream]

    async def start(self) -> None:
        """Listen; a port of 0 is replaced by the one the OS chose. 500 if it cannot bind."""
        if self.enabled:
            return
        host, port = split_address(self.listen, "listen")
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
            family, kind, proto, _, address = infos[0]
            sock = socket.socket(family, kind, proto)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(address)
                sock.listen(128)
                sock.setblocking(False)
            except OSError:
                sock.close()
                raise
        except OSError as error:
            raise ChaosApiError(
                500, f"listen tcp {self.listen}: {error.strerror or error}"
            ) from None
        self._server = await asyncio.start_server(self._accept, sock=sock)
        self.listen = _format_address(sock.getsockname())
        self.enabled = True

    async def stop(self) -> None:
        """Stop listening and close every live connection."""
        if not self.enabled or self._server is None:
            return
        self.enabled = False
        server, self._server = self._server, None
        server.close()
        for connection in list(self._connections):
            connection.close()
        await server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = split_address(self.upstream, "upstream")
        try:
            upstream = await asyncio.open_connection(host or "127.0.0.1", port)
        except OSError:
            writer.close()  # as Toxiproxy: the client sees its connection closed
            return
        if not self.enabled:
            writer.close()
            upstream[1].close()
            return
        connection = Connection(self, (reader, writer), upstream)
        self._connections.add(connection)
        try:
            await connection.run()
        finally:
            self._connections.discard(connection)

    def _changed(self) -> None:
        for connection in self._connections:
            connection.toxics_changed()

    def find_toxic(self, name: str) -> Toxic:
        for toxic in self.toxics:
            if toxic.name == name:
                return toxic
        raise ChaosApiError(404, "toxic not found")

    def add_toxic(self, toxic: Toxic) -> Toxic:
        if any(existing.name == toxic.name for existing in self.toxics):
            raise ChaosApiError(409, "toxic already exists")
        self.toxics.append(toxic)
        self._changed()
        return toxic

    def update_toxic(self, name: str, body: object) -> Toxic:
        old = self.find_toxic(name)
        new = update_toxic(old, body)
        self.toxics[self.toxics.index(old)] = new
        self._changed()
        return new

    def remove_toxic(self, name: str) -> None:
        self.toxics.remove(self.find_toxic(name))
        self._changed()

    def reset_toxics(self) -> None:
        self.toxics.clear()
        self._changed()
