"""`env up`: start an environment's pieces in dependency order and wait until each answers.

Pieces run detached (own process group, recorded in `state.json`) so they outlive `env up`;
any failure or Ctrl-C on the way stops what already started and removes its databases.
"""

from __future__ import annotations

import json
import socket
import string
import sys
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from interlock.envs.model import (
    Dependency,
    EnvironmentSpec,
    EnvironmentState,
    PieceState,
)
from interlock.envs.postgres import PostgresInstance, apply_migrations, run_sql_file, start_postgres
from interlock.envs.records import (
    clear_state,
    piece_running,
    read_state,
    stop_environment,
    stop_pieces,
    write_state,
)
from interlock.errors import UserInputError
from interlock.ports import free_port
from interlock.processes import (
    ChildProcess,
    ProcessSet,
    ProcessSpec,
    ProcessStartError,
    process_start_time,
    wait_healthy,
)

STUB_PIECE = "stubs"
FAILED_START_FILE = "failed-start.json"
COLLECTOR_PIECE = "otlp-collector"


@dataclass
class RunningEnvironment:
    """An environment brought up by this process; `stop()` is `env down` for it."""

    spec: EnvironmentSpec
    state: EnvironmentState
    processes: ProcessSet = field(default_factory=ProcessSet)

    @property
    def state_dir(self) -> Path:
        return Path(self.state.state_dir)

    @property
    def variables(self) -> dict[str, str]:
        return dict(self.state.variables)

    def stop(self) -> None:
        self.processes.stop()  # our own children: waited for, so no zombie is left
        if read_state(self.state_dir) is not None:
            stop_environment(self.state_dir)


def _interlock_argv(*args: str) -> list[str]:
    """`interlock ARGS...` as a child process (the CLI imports only the group that runs)."""
    return [sys.executable, "-m", "interlock", *args]


def broker_stub_args(stubbed: list[Dependency]) -> list[str]:
    """`stub serve`'s broker flags for the stubs served from a broker's pacts (the env file
    gives them one broker, consumer and environment)."""
    brokers = [(d.name, d.stub.broker) for d in stubbed if d.stub and d.stub.broker]
    if not brokers:
        return []
    first = brokers[0][1]
    args = ["--broker", first.url, "--consumer", first.consumer]
    if first.environment:
        args += ["--environment", first.environment]
    for name, broker in brokers:
        args += ["--provider", f"{name}={broker.provider}"]
    return args


def dependency_order(spec: EnvironmentSpec) -> list[Dependency]:
    """The `real` dependencies in start order: callees before callers per the catalog's
    `calls` edges (followed through services outside the environment too), else file order."""
    reals = [d for d in spec.dependencies if d.real]
    if spec.catalog is None or len(reals) < 2:
        return reals
    import networkx as nx

    from interlock.catalog import EdgeKind, load_catalog, node_id

    graph = load_catalog(spec.catalog).graph
    calls: Any = nx.DiGraph()
    calls.add_edges_from((e.source, e.target) for e in graph.edges(EdgeKind.CALLS))
    ids = {d.name: node_id(graph.resolve(d.name).kind, d.name) for d in reals if _known(graph, d)}
    needs: dict[str, set[str]] = {}
    for dep in reals:
        reach = nx.descendants(calls, ids[dep.name]) if ids.get(dep.name) in calls else set()
        needs[dep.name] = {o.name for o in reals if o is not dep and ids.get(o.name) in reach}
    ordered: list[Dependency] = []
    pending = list(reals)
    while pending:
        started = {d.name for d in ordered}
        ready = next(
            (d for d in pending if needs[d.name] <= started), pending[0]
        )  # cycle: file order
        ordered.append(ready)
        pending.remove(ready)
    return ordered


def _known(graph: Any, dep: Dependency) -> bool:
    try:
        graph.resolve(dep.name)
    except UserInputError:
        return False
    return True


class _Startup:
    """One run of `env up`: records each piece as soon as it exists, so failures can undo it."""

    def __init__(self, spec: EnvironmentSpec, state_dir: Path, timeout: float) -> None:
        self.spec = spec
        self.timeout = timeout
        self.state = EnvironmentState(spec.name, str(spec.file), str(state_dir.resolve()))
        self.processes = ProcessSet()
        self.logs = state_dir.resolve() / "logs"

    def record(self, piece: PieceState) -> None:
        self.state.pieces.append(piece)
        write_state(self.state)

    def child_env(self, service_name: str) -> dict[str, str]:
        env = dict(self.state.variables)
        if "OTEL_EXPORTER_OTLP_ENDPOINT" in env:
            env["OTEL_SERVICE_NAME"] = service_name
        return env

    def start_child(
        self, name: str, kind: str, spec: ProcessSpec, url: str | None = None
    ) -> ChildProcess:
        child = self.processes.start(spec)
        self.record(
            PieceState(
                name,
                kind,
                url=url,
                pid=child.pid,
                pgid=child.pid,
                started=process_start_time(child.pid),
                health=spec.health_url,
                log=str(spec.log_path),
            )
        )
        return child

    def run(self) -> RunningEnvironment:
        if any(d.postgres for d in self.spec.dependencies):
            # The database driver and the migration reader take a while to import: do it
            # while the cluster is being copied and started by other processes.
            threading.Thread(target=_import_database_modules, daemon=True).start()
        collector = self.start_collector() if self.spec.otlp else None
        stubs = self.start_stubs()
        for dep in self.spec.dependencies:  # initdb runs while the Python children boot
            if dep.postgres:
                self.start_postgres(dep)
        self.alias_database_url()
        waiting = [c for c in (collector, stubs) if c is not None]
        wait_healthy(waiting, self.timeout)
        if stubs is not None:
            self.publish_stub_urls()
        for dep in dependency_order(self.spec):
            self.start_real(dep)
        if self.spec.service_real is not None:
            self.start_real(self.spec.service_real)
        write_state(self.state)
        return RunningEnvironment(self.spec, self.state, self.processes)

    def start_collector(self) -> ChildProcess:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        spec = ProcessSpec(
            COLLECTOR_PIECE,
            _interlock_argv(
                "collector", "--port", str(port), "--data-dir", str(self.logs.parent / "telemetry")
            ),
            self.logs / f"{COLLECTOR_PIECE}.log",
            health_url=f"{url}/healthz",
        )
        child = self.start_child(COLLECTOR_PIECE, "collector", spec, url)
        self.state.variables["OTEL_EXPORTER_OTLP_ENDPOINT"] = url
        return child

    def start_stubs(self) -> ChildProcess | None:
        stubbed = [d for d in self.spec.dependencies if d.stub]
        if not stubbed:
            return None
        sources = [f"{d.name}={path}" for d in stubbed for path in d.stub.sources]  # type: ignore[union-attr]
        admin_port = free_port()
        args = ["stub", "serve", *sources, "--ports", "auto", "--admin-port", str(admin_port)]
        args += broker_stub_args(stubbed)
        faults = [{"service": d.name, **f} for d in stubbed for f in d.faults]
        if faults:
            faults_file = self.logs.parent / "faults.yaml"
            faults_file.parent.mkdir(parents=True, exist_ok=True)
            faults_file.write_text(yaml.safe_dump({"faults": faults}, sort_keys=False))
            args += ["--faults", str(faults_file)]
        admin = f"http://127.0.0.1:{admin_port}"
        spec = ProcessSpec(
            STUB_PIECE,
            _interlock_argv(*args),
            self.logs / f"{STUB_PIECE}.log",
            env=self.child_env("interlock-stubs"),
            health_url=f"{admin}/services",
        )
        child = self.start_child(STUB_PIECE, "stubs", spec, admin)
        self.state.variables["INTERLOCK_STUB_ADMIN_URL"] = admin
        return child

    def publish_stub_urls(self) -> None:
        stub_piece = next(p for p in self.state.pieces if p.kind == "stubs")
        admin = stub_piece.url
        services = httpx.get(f"{admin}/services", timeout=5.0).json()["services"]
        urls = {s["name"]: s["url"] for s in services}
        stub_piece.detail["services"] = urls
        trust = {s["name"]: s["trust"] for s in services if s.get("trust")}
        if trust:
            stub_piece.detail["trust"] = trust
        for dep in self.spec.dependencies:
            if dep.stub is None:
                continue
            self.state.variables[dep.variable] = urls[dep.name]
            if dep.stub.state is not None:
                answer = httpx.put(
                    f"{admin}/services/{dep.name}/state",
                    json={"state": dep.stub.state},
                    timeout=5.0,
                )
                if answer.status_code >= 400:
                    raise ProcessStartError(
                        f"{dep.name}: the stub refused provider state {dep.stub.state!r}: {answer.text}"
                    )
        write_state(self.state)

    def start_postgres(self, dep: Dependency) -> None:
        assert dep.postgres is not None
        instance: PostgresInstance = start_postgres()
        url = instance.url(dep.postgres.database)
        self.record(
            PieceState(
                dep.name,
                "postgres",
                url=url,
                pid=instance.postmaster_pid(),
                base_dir=str(instance.base_dir),
                log=str(instance.log_path),
                detail={"database": dep.postgres.database, "port": instance.port},
            )
        )
        instance.create_database(dep.postgres.database)
        if dep.postgres.migrations is not None:
            count = apply_migrations(url, dep.postgres.migrations)
            self.state.pieces[-1].detail["migrations"] = count
        if dep.postgres.seed is not None:
            run_sql_file(url, dep.postgres.seed)
        self.state.variables[dep.variable] = url
        write_state(self.state)

    def alias_database_url(self) -> None:
        databases = [d for d in self.spec.dependencies if d.postgres]
        if len(databases) == 1 and "DATABASE_URL" not in self.state.variables:
            self.state.variables["DATABASE_URL"] = self.state.variables[databases[0].variable]

    def start_real(self, dep: Dependency) -> None:
        real = dep.real
        assert real is not None
        port = free_port() if real.port == "auto" else int(real.port) if real.port else None
        values = {
            **self.state.variables,
            "port": "" if port is None else str(port),
            "python": sys.executable,
        }
        env = self.child_env(dep.name)
        if port is not None:
            env["PORT"] = str(port)
        env.update({k: _substitute(v, values, dep, "env") for k, v in real.env.items()})
        url = _substitute(real.url or f"http://127.0.0.1:{port}", values, dep, "url")
        health = _substitute(real.health, values, dep, "health") if real.health else None
        spec = ProcessSpec(
            dep.name,
            [_substitute(a, values, dep, "command") for a in real.command],
            self.logs / f"{dep.name}.log",
            env=env,
            cwd=real.cwd,
            health_url=health,
        )
        child = self.start_child(dep.name, "real", spec, url)
        if health is None and port is not None:
            _wait_for_listener(child, port, self.timeout)
        else:
            wait_healthy([child], self.timeout)
        self.state.variables[dep.variable] = url
        write_state(self.state)


def _import_database_modules() -> None:
    import psycopg  # noqa: F401

    import interlock.migrations  # noqa: F401


def _substitute(text: str, values: dict[str, str], dep: Dependency, field_name: str) -> str:
    try:
        return string.Template(text).substitute(values)
    except (KeyError, ValueError) as error:
        known = ", ".join(sorted(values))
        raise UserInputError(
            f"{dep.name}.{field_name}: unknown variable {error} in {text!r}; known: {known}"
        ) from None


def _wait_for_listener(child: ChildProcess, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not child.running:
            raise ProcessStartError(
                child.describe_failure(f"exited with code {child.popen.returncode}")
            )
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise ProcessStartError(
                child.describe_failure(f"did not listen on port {port} within {timeout:g}s")
            )
        time.sleep(0.05)


def start_environment(
    spec: EnvironmentSpec, state_dir: Path, timeout: float = 60.0
) -> RunningEnvironment:
    """Start every piece of `spec`, recorded under `state_dir`; returns once all answer.

    On any failure (or KeyboardInterrupt) everything already started is stopped, its
    databases removed, and the error re-raised; the logs stay in `state_dir/logs`.
    """
    previous = read_state(state_dir)
    if previous is not None:
        if any(piece_running(p) for p in previous.pieces):
            raise UserInputError(
                f"{state_dir}: environment {previous.name!r} is already up; run `interlock env down` first"
            )
        stop_environment(state_dir)  # leftovers of a crashed run: remove their data
    with suppress(FileNotFoundError):
        (state_dir / FAILED_START_FILE).unlink()
    startup = _Startup(spec, state_dir, timeout)
    try:
        return startup.run()
    except BaseException:
        startup.processes.stop()
        stop_pieces(startup.state.pieces)
        clear_state(state_dir)
        # What was started and then stopped again, for the curious (and for the tests).
        failed = state_dir / FAILED_START_FILE
        failed.write_text(json.dumps(startup.state.to_json(), indent=2) + "\n", encoding="utf-8")
        raise
