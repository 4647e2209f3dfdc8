"""What an environment file describes, and what a running environment is made of.

Plain dataclasses: the file is read into `EnvironmentSpec`; `env up` records `PieceState`s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def variable_name(name: str, suffix: str = "URL") -> str:
    """`inventory-db` → `INVENTORY_DB_URL`: upper case, anything not a letter or digit → `_`."""
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") + f"_{suffix}"


@dataclass(frozen=True)
class RealSpec:
    """A real process: its command, where it runs, its environment and how to tell it is up.

    `port` is a number, `auto` (a free port, given to the process as `PORT` and `${port}`),
    or None; `health` is a URL answering 2xx/3xx when ready.
    """

    command: tuple[str, ...]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    health: str | None = None
    port: int | str | None = None
    url: str | None = None


@dataclass(frozen=True)
class BrokerStub:
    """A stub from a broker's latest pact of `consumer` with `provider`, trusted when the
    provider version deployed in `environment` verified it."""

    url: str
    consumer: str
    provider: str
    environment: str | None = None


@dataclass(frozen=True)
class StubSpec:
    """A stubbed dependency: its sources (pacts, a directory, OpenAPI, WireMock, a recording),
    or a broker's pact."""

    sources: tuple[Path, ...]
    state: str | None = None
    broker: BrokerStub | None = None


@dataclass(frozen=True)
class PostgresSpec:
    """A throwaway PostgreSQL with one database, its schema from `migrations`, then `seed`."""

    database: str
    migrations: Path | None = None
    seed: Path | None = None


@dataclass(frozen=True)
class Dependency:
    """One piece of the environment: exactly one of `stub`, `real`, `postgres`.

    `variable` is the environment variable its endpoint is exported as.
    """

    name: str
    variable: str
    stub: StubSpec | None = None
    real: RealSpec | None = None
    postgres: PostgresSpec | None = None
    faults: tuple[dict[str, Any], ...] = ()

    @property
    def kind(self) -> str:
        return "stub" if self.stub else "real" if self.real else "postgres"


@dataclass(frozen=True)
class EnvironmentSpec:
    """An environment file, validated: the service under test and its dependencies."""

    file: Path
    name: str
    service: str
    service_real: Dependency | None
    dependencies: tuple[Dependency, ...]
    catalog: Path | None = None
    otlp: bool = True


@dataclass
class PieceState:
    """One running piece as recorded in the state file (and shown by `env status`).

    `pgid` and `started` (process start time) identify a detached process group;
    `base_dir` is a PostgreSQL cluster's directory.
    """

    name: str
    kind: str
    url: str | None = None
    pid: int | None = None
    pgid: int | None = None
    started: int | None = None
    health: str | None = None
    log: str | None = None
    base_dir: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items()}


@dataclass
class EnvironmentState:
    """What `env up` started, in start order, and the variables it exported."""

    name: str
    file: str
    state_dir: str
    pieces: list[PieceState] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "state_dir": self.state_dir,
            "pieces": [p.to_json() for p in self.pieces],
            "variables": dict(self.variables),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EnvironmentState:
        return cls(
            name=str(data["name"]),
            file=str(data["file"]),
            state_dir=str(data["state_dir"]),
            pieces=[PieceState(**p) for p in data.get("pieces", [])],
            variables={str(k): str(v) for k, v in data.get("variables", {}).items()},
        )


@dataclass(frozen=True)
class PieceStatus:
    """`env status` for one piece: is its process alive, does its health check answer."""

    name: str
    kind: str
    url: str | None
    pid: int | None
    running: bool
    healthy: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)
