"""The Toxiproxy 2.x HTTP API over a `ProxyCollection`, and the server that runs both.

One event loop serves the API (Starlette on uvicorn) and every proxy's connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from interlock.chaos.chaos_collection import (
    ProxyCollection,
    ProxySpec,
    load_proxy_config,
    parse_populate,
    parse_proxy_spec,
)
from interlock.chaos.toxics import ChaosApiError, bad_request, parse_toxic
from interlock.errors import UserInputError

TOXIPROXY_VERSION = "2.12.0"  # the Toxiproxy API version this server speaks
DEFAULT_PORT = 8474


async def _body(request: Request) -> object:
    raw = await request.body()
    if not raw.strip():
        raise bad_request("EOF")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise bad_request(str(error)) from None


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


class _RefuseBrowsers:
    """As Toxiproxy: a browser's request gets 403, so a web page cannot drive the proxy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            agent = dict(scope["headers"]).get(b"user-agent", b"")
            if agent.startswith(b"Mozilla/"):
                response = PlainTextResponse("User agent not allowed\n", status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_chaos_app(proxies: ProxyCollection) -> Starlette:
    """The Toxiproxy-compatible routes, acting on `proxies`."""

    async def version(request: Request) -> Response:
        return _json({"version": TOXIPROXY_VERSION})

    async def proxy_index(request: Request) -> Response:
        return _json({proxy.name: proxy.to_json() for proxy in proxies.all()})

    async def proxy_create(request: Request) -> Response:
        proxy = await proxies.create(parse_proxy_spec(await _body(request)))
        return _json(proxy.to_json(), 201)

    async def populate(request: Request) -> Response:
        try:
            created = await proxies.populate(parse_populate(await _body(request)))
        except ChaosApiError as error:
            return _json({**error.to_json(), "proxies": None}, error.status)
        return _json({"proxies": [proxy.to_json() for proxy in created]}, 201)

    async def reset(request: Request) -> Response:
        await proxies.reset()
        return Response(status_code=204)

    async def proxy_show(request: Request) -> Response:
        return _json(proxies.get(request.path_params["proxy"]).to_json())

    async def proxy_update(request: Request) -> Response:
        proxy = await proxies.update(request.path_params["proxy"], await _body(request))
        return _json(proxy.to_json())

    async def proxy_delete(request: Request) -> Response:
        await proxies.delete(request.path_params["proxy"])
        return Response(status_code=204)

    async def toxic_index(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        return _json([toxic.to_json() for toxic in proxy.ordered_toxics()])

    async def toxic_create(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        return _json(proxy.add_toxic(parse_toxic(await _body(request))).to_json())

    async def toxic_show(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        return _json(proxy.find_toxic(request.path_params["toxic"]).to_json())

    async def toxic_update(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        toxic = proxy.update_toxic(request.path_params["toxic"], await _body(request))
        return _json(toxic.to_json())

    async def toxic_delete(request: Request) -> Response:
        proxy = proxies.get(request.path_params["proxy"])
        proxy.remove_toxic(request.path_params["toxic"])
        return Response(status_code=204)

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, ChaosApiError)
        return _json(error.to_json(), error.status)

    one = "/proxies/{proxy}"
    toxic = "/proxies/{proxy}/toxics/{toxic}"
    routes = [
        Route("/version", version, methods=["GET"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/populate", populate, methods=["POST"]),
        Route("/proxies", proxy_index, methods=["GET"]),
        Route("/proxies", proxy_create, methods=["POST"]),
        Route(one, proxy_show, methods=["GET"]),
        Route(one, proxy_update, methods=["POST", "PATCH"]),
        Route(one, proxy_delete, methods=["DELETE"]),
        Route(one + "/toxics", toxic_index, methods=["GET"]),
        Route(one + "/toxics", toxic_create, methods=["POST"]),
        Route(toxic, toxic_show, methods=["GET"]),
        Route(toxic, toxic_update, methods=["POST", "PATCH"]),
        Route(toxic, toxic_delete, methods=["DELETE"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(_RefuseBrowsers)],
        exception_handlers={ChaosApiError: refused},
    )


class ChaosProxyServer:
    """The API on `host:port` plus the proxies, on one event loop; `stop()` from any thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        proxies: Sequence[ProxySpec] = (),
        source: str = "populate",
    ) -> None:
        self.host = host
        self.port = port
        self.collection = ProxyCollection()
        self._initial = list(proxies)
        self._source = source
        self._socket: socket.socket | None = None
        config = uvicorn.Config(
            create_chaos_app(self.collection),
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
        )
        self._server = uvicorn.Server(config)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def started(self) -> bool:
        return self._server.started

    def bind(self) -> None:
        """Open the API's port now (a port of 0 picks a free one); UserInputError if taken."""
        if self._socket is not None:
            return
        try:
            sock = socket.create_server((self.host, self.port))
        except OSError as error:
            where = f"{self.host}:{self.port}"
            reason = os.strerror(error.errno) if error.errno else str(error)
            raise UserInputError(f"cannot listen on {where}: {reason}") from None
        self._socket = sock
        self.port = sock.getsockname()[1]

    async def start_proxies(self) -> None:
        """Create the initial proxies; a proxy that cannot listen is a user error naming it."""
        for index, spec in enumerate(self._initial):
            try:
                await self.collection.create(spec)
            except ChaosApiError as error:
                where = f"{self._source}:$[{index}].listen"
                raise UserInputError(f"{where}: {error.message}") from None

    async def serve(self, on_ready: Callable[[ChaosProxyServer], None] | None = None) -> None:
        """Run until `stop()` (or Ctrl-C in the main thread); closes every proxy on the way out."""
        self.bind()
        assert self._socket is not None
        try:
            await self.start_proxies()
            if on_ready is not None:
                on_ready(self)
            await self._server.serve(sockets=[self._socket])
        finally:
            await self.collection.close()
            self._socket.close()

    def stop(self) -> None:
        self._server.should_exit = True


def run_chaos_proxy(
    host: str,
    port: int,
    config: Path | None,
    on_ready: Callable[[ChaosProxyServer], None] | None = None,
) -> None:
    """Load `config` (Toxiproxy populate JSON), then serve the API and proxies until Ctrl-C."""
    specs = load_proxy_config(config) if config is not None else []
    server = ChaosProxyServer(host, port, specs, str(config) if config else "populate")
    server.bind()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(on_ready))
