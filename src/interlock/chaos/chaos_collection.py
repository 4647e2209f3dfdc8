"""The set of named fault proxies, and Toxiproxy's proxy JSON (API bodies and config files).

Every change the HTTP API can make goes through `ProxyCollection`, with Toxiproxy's rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.chaos.tcp_proxy import Proxy, split_address
from interlock.chaos.toxics import ChaosApiError, bad_request
from interlock.errors import Position, SourceError

DEFAULT_LISTEN = "127.0.0.1:0"
PROXY_KEYS = ("name", "listen", "upstream", "enabled")


@dataclass(frozen=True)
class ProxySpec:
    """A proxy as a client or a config file declares it."""

    name: str
    upstream: str
    listen: str = DEFAULT_LISTEN
    enabled: bool = True


def _string(data: dict[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"{path}.{key}: expected a string", f"{path}.{key}")
    return value


def parse_proxy_spec(body: object, path: str = "$", where: str = "") -> ProxySpec:
    """One proxy from JSON; `where` is Toxiproxy's ` at proxy N` suffix in populate errors."""
    if not isinstance(body, dict):
        raise bad_request(f"{path}: expected a JSON object", path)
    name = _string(body, "name", path)
    if not name:
        raise ChaosApiError(400, f"missing required field: name{where}", f"{path}.name")
    upstream = _string(body, "upstream", path)
    if not upstream:
        raise ChaosApiError(400, f"missing required field: upstream{where}", f"{path}.upstream")
    listen = _string(body, "listen", path) or DEFAULT_LISTEN
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise bad_request(f"{path}.enabled: expected true or false", f"{path}.enabled")
    for key, value in (("listen", listen), ("upstream", upstream)):
        try:
            split_address(value, key)
        except ChaosApiError as error:
            raise bad_request(
                f"{path}.{key}: expected host:port, got {value!r}", f"{path}.{key}"
            ) from error
    return ProxySpec(name, upstream, listen, enabled)


def parse_populate(body: object) -> list[ProxySpec]:
    """The body of `POST /populate` (and a config file): an array of proxies, names unique."""
    if not isinstance(body, list):
        raise bad_request("$: expected an array of proxies", "$")
    specs = []
    seen: set[str] = set()
    for index, item in enumerate(body):
        spec = parse_proxy_spec(item, f"$[{index}]", f" at proxy {index + 1}")
        if spec.name in seen:
            raise bad_request(f"duplicate proxy name {spec.name!r}", f"$[{index}].name")
        seen.add(spec.name)
        specs.append(spec)
    return specs


def load_proxy_config(path: Path) -> list[ProxySpec]:
    """Read a Toxiproxy config file (the populate JSON); errors name the file and JSON path."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SourceError(str(path), None, f"cannot read the file: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise SourceError(
            str(path),
            None,
            f"expected a JSON text file (UTF-8), found a byte that is not UTF-8 at offset {error.start}",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        where = Position(line=error.lineno, column=error.colno)
        raise SourceError(str(path), where, f"not valid JSON: {error.msg}") from None
    if isinstance(data, list):
        for index, item in enumerate(data):
            unknown = sorted(set(item) - set(PROXY_KEYS)) if isinstance(item, dict) else []
            if unknown:
                where = Position(path=f"$[{index}].{unknown[0]}")
                expected = ", ".join(PROXY_KEYS)
                raise SourceError(str(path), where, f"unknown field; expected one of {expected}")
    try:
        return parse_populate(data)
    except ChaosApiError as error:
        message = error.message.removeprefix("bad request body: ")
        if error.path and message.startswith(error.path + ": "):
            message = message[len(error.path) + 2 :]
        raise SourceError(str(path), Position(path=error.path or "$"), message) from None


class ProxyCollection:
    """Named proxies; every method raises `ChaosApiError` with Toxiproxy's status on refusal."""

    def __init__(self) -> None:
        self._proxies: dict[str, Proxy] = {}

    def all(self) -> list[Proxy]:
        return list(self._proxies.values())

    def get(self, name: str) -> Proxy:
        try:
            return self._proxies[name]
        except KeyError:
            raise ChaosApiError(404, "proxy not found") from None

    async def create(self, spec: ProxySpec) -> Proxy:
        if spec.name in self._proxies:
            raise ChaosApiError(409, "proxy already exists")
        proxy = Proxy(spec.name, spec.listen, spec.upstream)
        if spec.enabled:
            await proxy.start()
        self._proxies[spec.name] = proxy
        return proxy

    async def update(self, name: str, body: object) -> Proxy:
        """Apply `listen`/`upstream`/`enabled` from `body`; a new address restarts the proxy."""
        proxy = self.get(name)
        if not isinstance(body, dict):
            raise bad_request("$: expected a JSON object", "$")
        current = {"name": name, "listen": proxy.listen, "upstream": proxy.upstream}
        spec = parse_proxy_spec({**current, "enabled": proxy.enabled, **body, "name": name})
        if (spec.listen, spec.upstream) != (proxy.listen, proxy.upstream):
            await proxy.stop()
            proxy.listen, proxy.upstream = spec.listen, spec.upstream
        if spec.enabled and not proxy.enabled:
            await proxy.start()
        elif not spec.enabled and proxy.enabled:
            await proxy.stop()
        return proxy

    async def delete(self, name: str) -> None:
        proxy = self.get(name)
        await proxy.stop()
        del self._proxies[name]

    async def populate(self, specs: list[ProxySpec]) -> list[Proxy]:
        """Create or replace: a proxy whose listen and upstream are unchanged is kept as is."""
        result = []
        for spec in specs:
            existing = self._proxies.get(spec.name)
            if existing is not None:
                if (existing.listen, existing.upstream) == (spec.listen, spec.upstream):
                    result.append(existing)
                    continue
                await self.delete(spec.name)
            result.append(await self.create(spec))
        return result

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        for proxy in self._proxies.values():
            await proxy.start()
            proxy.reset_toxics()

    async def close(self) -> None:
        for proxy in self._proxies.values():
            await proxy.stop()
