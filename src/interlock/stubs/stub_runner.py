"""Running stubbed services: one server in one process listening on every stub port, and the recorder.

Ports are bound before serving, so the caller knows every URL (and `--ports auto` picks free ones).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from interlock.errors import UserInputError
from interlock.processes import sigterm_as_interrupt
from interlock.stubs.http_faults import parse_fault
from interlock.stubs.http_server import HttpServer
from interlock.stubs.recorder import RecordingProxy
from interlock.stubs.stub_app import StubHost
from interlock.stubs.stub_service import StubService


@dataclass(frozen=True)
class ServiceEndpoint:
    """Where one stubbed service answers."""

    name: str
    url: str
    stubs: int
    source: str


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise UserInputError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class StubServer:
    """Stubbed services on ports: `per_service` gives each its own port from `port` (0 = free)."""

    def __init__(
        self,
        services: list[StubService],
        host: str = "127.0.0.1",
        port: int = 0,
        per_service: bool = True,
        admin_port: int | None = None,
        seed: int = 0,
        journal_size: int = 1000,
    ) -> None:
        self.app = StubHost(services, seed=seed, journal_size=journal_size)
        self.host = host
        self.sockets: list[socket.socket] = []
        if per_service:
            for index, service in enumerate(services):
                sock = _bind(host, port + index if port else 0)
                bound = sock.getsockname()[1]
                self.app.ports[bound] = service.name
                self.app.urls[service.name] = f"http://{host}:{bound}"
                self.sockets.append(sock)
        else:
            sock = _bind(host, port)
            bound = sock.getsockname()[1]
            only = services[0].name if len(services) == 1 else None
            self.app.ports[bound] = only  # one service: no prefix needed, none stripped
            for service in services:
                suffix = "" if only else f"/{service.name}"
                self.app.urls[service.name] = f"http://{host}:{bound}{suffix}"
            self.sockets.append(sock)
        self.admin_url: str | None = None
        if admin_port is not None:
            sock = _bind(host, admin_port)
            self.app.admin_port = sock.getsockname()[1]
            self.admin_url = f"http://{host}:{self.app.admin_port}"
            self.sockets.append(sock)
        else:
            first = self.sockets[0].getsockname()[1]
            self.admin_url = f"http://{host}:{first}/__admin"
        self.server = HttpServer(self.app, self.sockets)
        self._thread: threading.Thread | None = None

    def endpoints(self) -> list[ServiceEndpoint]:
        return [
            ServiceEndpoint(
                s.name,
                self.app.urls[s.name],
                len(s.routes),
                ", ".join(sorted({r.source for r in s.routes})),
            )
            for s in self.app.services.values()
        ]

    def serve(self) -> None:
        """Serve until Ctrl-C (blocks)."""
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self.server.serve())

    def start(self) -> None:
        """Serve from a background thread (tests, `env up`); returns once listening."""
        self._thread = threading.Thread(
            target=asyncio.run, args=(self.server.serve(),), daemon=True
        )
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the stub server stopped while starting")
            threading.Event().wait(0.01)

    def stop(self) -> None:
        self.server.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()


def load_fault_config(path: Path, services: list[StubService]) -> None:
    """Faults from a file: `faults: [{service: payments, type: latency, latency: 300}]`."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as error:
        raise UserInputError(f"{path}: cannot read the fault file: {error}") from None
    items = data.get("faults") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise UserInputError(f"{path}: $.faults: expected a list of faults")
    by_name = {s.name: s for s in services}
    for index, item in enumerate(items):
        where = f"{path}: $.faults[{index}]"
        name = item.get("service") if isinstance(item, dict) else None
        if name not in by_name:
            raise UserInputError(
                f"{where}.service: expected one of {sorted(by_name)}, found {name!r}"
            )
        fault = parse_fault({k: v for k, v in item.items() if k != "service"}, where)
        by_name[str(name)].faults.append(fault)


class RecordingServer:
    """`stub record`: the recording proxy on a port; the pact is written when it stops."""

    def __init__(
        self,
        target: str,
        out_dir: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        consumer: str = "recorded-consumer",
        provider: str | None = None,
    ) -> None:
        if not target.startswith(("http://", "https://")):
            raise UserInputError(f"--target: expected an http:// or https:// URL, found {target!r}")
        provider_name = provider or target.split("://", 1)[1].split("/", 1)[0].replace(":", "-")
        self.proxy = RecordingProxy(target, consumer, provider_name)
        self.out_dir = out_dir
        self.socket = _bind(host, port)
        self.url = f"http://{host}:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(
            self.proxy,
            lifespan="off",
            log_level="warning",
            access_log=False,
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.written: Path | None = None

    async def _serve(self) -> None:
        try:
            await self.server.serve(sockets=[self.socket])
        finally:
            await self.proxy.aclose()

    def serve(self) -> Path:
        """Record until Ctrl-C or SIGTERM, then write the pact; returns its path.

        uvicorn re-raises the signal that stopped it once it has shut down: SIGTERM must
        then interrupt like Ctrl-C, or it would end the process before the pact is written.
        """
        with sigterm_as_interrupt(), contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._serve())
        return self.finish()

    def start(self) -> None:
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the recording proxy stopped while starting")
            threading.Event().wait(0.01)

    def stop(self) -> Path:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        return self.finish()

    def finish(self) -> Path:
        self.socket.close()
        if self.written is None:
            self.written = self.proxy.write(self.out_dir)
        return self.written
