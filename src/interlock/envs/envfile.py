"""Reading an environment file (`interlock-env.yaml`) into an `EnvironmentSpec`.

Every error names the file, the line and column, and what was expected there.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlock.envs.model import (
    BrokerStub,
    Dependency,
    EnvironmentSpec,
    PostgresSpec,
    RealSpec,
    StubSpec,
    variable_name,
)
from interlock.errors import SourceError

if TYPE_CHECKING:
    from interlock.catalog import Document

_TOP_KEYS = ("name", "service", "catalog", "dependencies", "faults", "otlp")
_DEPENDENCY_KEYS = ("stub", "real", "postgres", "state", "variable")
_REAL_KEYS = ("command", "cwd", "env", "health", "port", "url")
_POSTGRES_KEYS = ("migrations", "seed", "database")
_BROKER_STUB_KEYS = ("broker", "consumer", "provider", "environment")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_environment_file(path: Path) -> EnvironmentSpec:
    """Read and validate an environment file; paths in it are relative to its directory."""
    from interlock.catalog import load_documents  # the catalog package is heavy

    documents = list(load_documents(path))
    if not documents:
        raise SourceError(str(path), None, "empty file: expected a mapping with `name`")
    doc = documents[0]
    data = doc.value
    if not isinstance(data, dict):
        raise doc.error("expected a mapping with `name`, `service` and `dependencies`")
    _only_keys(doc, data, _TOP_KEYS)
    base = path.resolve().parent
    name = _name(doc, data.get("name"), "name")
    service, service_real = _service(doc, data.get("service"), base)
    dependencies = _dependencies(doc, data.get("dependencies", {}), base)
    _check_broker_stubs(doc, dependencies)
    faults = _faults(doc, data.get("faults", {}), dependencies)
    complete = tuple(
        Dependency(d.name, d.variable, d.stub, d.real, d.postgres, faults.get(d.name, ()))
        for d in dependencies
    )
    catalog = None
    if data.get("catalog") is not None:
        catalog = _path(doc, data["catalog"], base, "catalog")
        if not catalog.is_dir():
            raise doc.error(
                f"catalog: expected a directory of descriptors, {catalog} is not one", "catalog"
            )
    otlp = data.get("otlp", True)
    if not isinstance(otlp, bool):
        raise doc.error("otlp: expected true or false", "otlp")
    return EnvironmentSpec(path, name, service, service_real, complete, catalog, otlp)


def _only_keys(doc: Document, data: dict[str, Any], allowed: tuple[str, ...], *key: str) -> None:
    for found in data:
        if found not in allowed:
            where = ".".join((*key, found))
            raise doc.error(
                f"{where}: unknown key; expected one of {', '.join(allowed)}", *key, found
            )


def _string(doc: Document, value: Any, *key: str | int) -> str:
    if not isinstance(value, str) or not value:
        label = ".".join(str(k) for k in key)
        raise doc.error(f"{label}: expected a non-empty string, found {value!r}", *key)
    return value


def _name(doc: Document, value: Any, *key: str | int) -> str:
    text = _string(doc, value, *key)
    if not _NAME.match(text):
        label = ".".join(str(k) for k in key)
        raise doc.error(
            f"{label}: expected a name of letters, digits, `-`, `_` or `.`, found {text!r}", *key
        )
    return text


def _path(doc: Document, value: Any, base: Path, *key: str | int) -> Path:
    resolved = base / _string(doc, value, *key)
    if not resolved.exists():
        label = ".".join(str(k) for k in key)
        raise doc.error(f"{label}: {resolved} does not exist", *key)
    return resolved


def _service(doc: Document, value: Any, base: Path) -> tuple[str, Dependency | None]:
    if isinstance(value, str):
        return _name(doc, value, "service"), None
    if not isinstance(value, dict):
        raise doc.error(
            "service: expected the name of the service under test, or a mapping with `name` and `real`",
            "service",
        )
    _only_keys(doc, value, ("name", "real", "variable"), "service")
    name = _name(doc, value.get("name"), "service", "name")
    if value.get("real") is None:
        return name, None
    real = _real(doc, value["real"], base, "service", "real")
    variable = _variable(doc, value, name, "URL", "service")
    return name, Dependency(name, variable, real=real)


def _variable(doc: Document, data: dict[str, Any], name: str, suffix: str, *key: str) -> str:
    if "variable" not in data:
        return variable_name(name, suffix)
    text = _string(doc, data["variable"], *key, "variable")
    if not _VARIABLE.match(text):
        label = ".".join((*key, "variable"))
        raise doc.error(f"{label}: expected an environment variable name, found {text!r}", *key)
    return text


def _dependencies(doc: Document, value: Any, base: Path) -> list[Dependency]:
    if not isinstance(value, dict):
        raise doc.error(
            "dependencies: expected a mapping of dependency names to `stub`, `real` or `postgres`",
            "dependencies",
        )
    found = []
    for name, item in value.items():
        key = ("dependencies", name)
        _name(doc, name, *key)
        if not isinstance(item, dict):
            raise doc.error(
                f"dependencies.{name}: expected a mapping with one of `stub`, `real`, `postgres`",
                *key,
            )
        _only_keys(doc, item, _DEPENDENCY_KEYS, *key)
        kinds = [k for k in ("stub", "real", "postgres") if k in item]
        if len(kinds) != 1:
            raise doc.error(
                f"dependencies.{name}: expected exactly one of `stub`, `real`, `postgres`, found {kinds or 'none'}",
                *key,
            )
        if "state" in item and kinds != ["stub"]:
            raise doc.error(
                f"dependencies.{name}.state: only a `stub` has a provider state", *key, "state"
            )
        if kinds == ["stub"]:
            found.append(
                Dependency(
                    name, _variable(doc, item, name, "URL", *key), stub=_stub(doc, item, base, *key)
                )
            )
        elif kinds == ["real"]:
            real = _real(doc, item["real"], base, *key, "real")
            found.append(Dependency(name, _variable(doc, item, name, "URL", *key), real=real))
        else:
            postgres = _postgres(doc, item["postgres"], base, name, *key, "postgres")
            variable = _variable(doc, item, name, "DATABASE_URL", *key)
            found.append(Dependency(name, variable, postgres=postgres))
    return found


def _stub(doc: Document, item: dict[str, Any], base: Path, *key: str) -> StubSpec:
    raw = item["stub"]
    state = None
    if item.get("state") is not None:
        state = _string(doc, item["state"], *key, "state")
    if isinstance(raw, dict):
        return StubSpec((), state, _broker_stub(doc, raw, *key, "stub"))
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise doc.error(
            f"{'.'.join(key)}.stub: expected a path, a list of paths or a broker mapping",
            *key,
            "stub",
        )
    if isinstance(raw, list):
        sources = tuple(_path(doc, v, base, *key, "stub", i) for i, v in enumerate(items))
    else:
        sources = (_path(doc, raw, base, *key, "stub"),)
    return StubSpec(sources, state)


def _broker_stub(doc: Document, raw: dict[str, Any], *key: str) -> BrokerStub:
    """`stub: {broker: URL, consumer: C, provider: P, environment: E}`."""
    _only_keys(doc, raw, _BROKER_STUB_KEYS, *key)
    for needed in ("broker", "consumer", "provider"):
        if needed not in raw:
            label = ".".join(key)
            raise doc.error(
                f"{label}: expected `broker`, `consumer` and `provider` (and `environment`), "
                f"missing `{needed}`",
                *key,
            )
    url = _string(doc, raw["broker"], *key, "broker")
    if not url.startswith(("http://", "https://")):
        raise doc.error(f"{'.'.join(key)}.broker: expected an http(s) URL, found {url!r}", *key)
    environment = None
    if raw.get("environment") is not None:
        environment = _string(doc, raw["environment"], *key, "environment")
    return BrokerStub(
        url,
        _string(doc, raw["consumer"], *key, "consumer"),
        _string(doc, raw["provider"], *key, "provider"),
        environment,
    )


def _check_broker_stubs(doc: Document, dependencies: list[Dependency]) -> None:
    """The stubs of an environment run in one process, which asks one broker about one
    consumer in one environment."""
    first: tuple[str, BrokerStub] | None = None
    for dep in dependencies:
        broker = dep.stub.broker if dep.stub else None
        if broker is None:
            continue
        if first is None:
            first = (dep.name, broker)
            continue
        name, seen = first
        if (broker.url, broker.consumer, broker.environment) != (
            seen.url,
            seen.consumer,
            seen.environment,
        ):
            raise doc.error(
                f"dependencies.{dep.name}.stub: every broker stub needs the same broker, "
                f"consumer and environment as dependencies.{name}.stub",
                "dependencies",
                dep.name,
                "stub",
            )


def _real(doc: Document, value: Any, base: Path, *key: str) -> RealSpec:
    label = ".".join(key)
    if not isinstance(value, dict):
        raise doc.error(
            f"{label}: expected a mapping with `command` (and `cwd`, `env`, `health`, `port`)", *key
        )
    _only_keys(doc, value, _REAL_KEYS, *key)
    command = value.get("command")
    if isinstance(command, str) and command.strip():
        argv = tuple(shlex.split(command))
    elif isinstance(command, list) and command and all(isinstance(a, str) for a in command):
        argv = tuple(command)
    else:
        raise doc.error(
            f"{label}.command: expected a command line or a list of arguments", *key, "command"
        )
    cwd = _path(doc, value["cwd"], base, *key, "cwd") if value.get("cwd") is not None else base
    env = value.get("env", {})
    if not isinstance(env, dict):
        raise doc.error(f"{label}.env: expected a mapping of variable names to values", *key, "env")
    for name, item in env.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise doc.error(f"{label}.env.{name}: expected a string or a number", *key, "env", name)
    port = value.get("port")
    if (
        port is not None
        and port != "auto"
        and (isinstance(port, bool) or not isinstance(port, int))
    ):
        raise doc.error(
            f"{label}.port: expected `auto` or a port number, found {port!r}", *key, "port"
        )
    health = _string(doc, value["health"], *key, "health") if "health" in value else None
    url = _string(doc, value["url"], *key, "url") if "url" in value else None
    if url is None and port is None:
        raise doc.error(f"{label}: expected `port` (a number or `auto`) or `url`", *key)
    return RealSpec(argv, cwd, {str(k): str(v) for k, v in env.items()}, health, port, url)


def _postgres(doc: Document, value: Any, base: Path, name: str, *key: str) -> PostgresSpec:
    label = ".".join(key)
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise doc.error(
            f"{label}: expected a mapping (`migrations`, `seed`, `database`) or nothing", *key
        )
    _only_keys(doc, value, _POSTGRES_KEYS, *key)
    database = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if value.get("database") is not None:
        database = _string(doc, value["database"], *key, "database")
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", database):
            raise doc.error(
                f"{label}.database: expected a plain database name, found {database!r}",
                *key,
                "database",
            )
    migrations = None
    if value.get("migrations") is not None:
        migrations = _path(doc, value["migrations"], base, *key, "migrations")
        if not migrations.is_dir():
            raise doc.error(
                f"{label}.migrations: expected a directory of migrations", *key, "migrations"
            )
    seed = _path(doc, value["seed"], base, *key, "seed") if value.get("seed") is not None else None
    return PostgresSpec(database, migrations, seed)


def _faults(
    doc: Document, value: Any, dependencies: list[Dependency]
) -> dict[str, tuple[dict[str, Any], ...]]:
    if not isinstance(value, dict):
        raise doc.error(
            "faults: expected a mapping of stub dependency names to lists of faults", "faults"
        )
    from interlock.stubs import FaultError, parse_fault  # the stub server's own fault checks

    kinds = {d.name: d.kind for d in dependencies}
    found: dict[str, tuple[dict[str, Any], ...]] = {}
    for name, items in value.items():
        if kinds.get(name) != "stub":
            stubs = sorted(n for n, k in kinds.items() if k == "stub")
            raise doc.error(
                f"faults.{name}: faults apply to stub dependencies; expected one of {stubs}",
                "faults",
                name,
            )
        if not isinstance(items, list):
            raise doc.error(f"faults.{name}: expected a list of faults", "faults", name)
        for index, item in enumerate(items):
            try:
                parse_fault(item, f"faults.{name}[{index}]")
            except FaultError as error:
                raise doc.error(str(error), "faults", name, index) from None
        found[name] = tuple(items)
    return found
