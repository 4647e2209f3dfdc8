"""`interlock demo`: the example shop's four services and the Interlock server, run together.

What to start (with free ports, SQLite under the data dir, traces to the server, any
service replaced by a stub served from its pacts) is planned here; starting, health
checks and stopping are `interlock.processes`; the story told once all answer is
`interlock.demo.story`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import interlock
from interlock.errors import UserInputError
from interlock.ports import check_can_listen, free_port
from interlock.processes import ProcessSet, ProcessSpec, process_start_time, wait_healthy

# Dependencies first, so each service starts after what it calls.
SHOP_SERVICES = ("inventory", "payments", "orders", "gateway")
# With fixed ports (`--shop-ports FIRST`), each service's offset from FIRST: the entry first.
PORT_ORDER = ("gateway", "inventory", "orders", "payments")
DEFAULT_FIRST_PORT = 8000
STATE_FILE = "demo.json"
STUB_PROCESS = "stubs"


@dataclass(frozen=True)
class Endpoint:
    """One running piece of the demo: where it answers, its pid and its log."""

    name: str
    url: str
    pid: int
    log: str


@dataclass(frozen=True)
class DemoRun:
    """What `start_demo` started: the dashboard, the services, and the state file naming them."""

    dashboard_url: str
    endpoints: list[Endpoint]
    state_file: Path
    stubbed: list[str] = field(default_factory=list)
    """Services replaced by stubs (served by the `stubs` endpoint)."""
    data_dir: Path = Path(".")

    def url(self, name: str) -> str:
        """Where `name` answers: a shop service, its stub, or `stubs` (the stub server)."""
        return next(e.url for e in self.endpoints if e.name == name)


def find_shop() -> Path:
    """`examples/shop` in the repository this package is installed (editable) from."""
    repo = Path(interlock.__file__).resolve().parents[2]
    shop = repo / "examples" / "shop"
    if not (shop / "shoplib").is_dir():
        raise UserInputError(
            f"{shop}: the example shop is not there; `interlock demo` runs from a checkout "
            "of the Interlock repository (pip install -e .)"
        )
    return shop


def shop_specs(
    shop: Path,
    data_dir: Path,
    otlp_endpoint: str | None,
    ports: dict[str, int] | None = None,
    database_urls: dict[str, str] | None = None,
    *,
    stub_urls: Mapping[str, str] | None = None,
    switches: bool = False,
) -> list[ProcessSpec]:
    """One process per shop service on a free port; logs (and SQLite files) under `data_dir`.

    `database_urls` maps `orders` and `inventory` to their databases (default: SQLite
    files); spans and log records go to `otlp_endpoint` when given (services export only
    when it is set). A service in `stub_urls` is not started: its callers get the stub's
    URL. `switches` enables the services' `/_fault` and `/_pact/state` endpoints.
    """
    stub_urls = stub_urls or {}
    ports = ports or {name: free_port() for name in SHOP_SERVICES}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    url.update(stub_urls)
    databases = database_urls or {
        name: f"sqlite:///{data_dir / 'shop' / f'{name}.db'}" for name in ("orders", "inventory")
    }
    extra = {
        "inventory": {"DATABASE_URL": databases["inventory"]},
        "payments": {},
        "orders": {
            "DATABASE_URL": databases["orders"],
            "INVENTORY_DATABASE_URL": databases["inventory"],
            "INVENTORY_URL": url["inventory"],
            "PAYMENTS_URL": url["payments"],
        },
        "gateway": {"INVENTORY_URL": url["inventory"], "ORDERS_URL": url["orders"]},
    }
    specs = []
    for name in SHOP_SERVICES:
        if name in stub_urls:
            continue
        env = {
            "PORT": str(ports[name]),
            "HOST": "127.0.0.1",
            "PYTHONPATH": str(shop),
            "PYTHONUNBUFFERED": "1",
            **extra[name],
        }
        if otlp_endpoint:
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp_endpoint
            env["OTEL_BSP_SCHEDULE_DELAY"] = "1000"  # spans on the dashboard within a second
            env["OTEL_BLRP_SCHEDULE_DELAY"] = "1000"  # and their log lines beside them
        if switches:
            env["SHOP_FAULT_ADMIN"] = "1"
            env["SHOP_PACT_STATES"] = "1"
        specs.append(
            ProcessSpec(
                name=name,
                argv=[sys.executable, "-m", f"{name}.app"],
                log_path=data_dir / "logs" / f"{name}.log",
                env=env,
                cwd=shop,
                health_url=f"{url[name]}/health",
            )
        )
    return specs


def server_spec(shop: Path, data_dir: Path, port: int) -> ProcessSpec:
    """`interlock server` on 127.0.0.1:`port`, reading the shop's catalog."""
    return ProcessSpec(
        name="interlock server",
        argv=[
            sys.executable,
            "-m",
            "interlock",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--catalog",
            str(shop),
        ],
        log_path=data_dir / "logs" / "server.log",
        env={"PYTHONUNBUFFERED": "1"},
        health_url=f"http://127.0.0.1:{port}/",
    )


def stub_pacts(shop: Path, services: Sequence[str]) -> list[Path]:
    """The example pacts whose provider is one of `services` (`<consumer>-<provider>.json`)."""
    pacts = sorted((shop / "pacts").glob("*.json"))
    providers = {p.stem.split("-", 1)[1] for p in pacts}
    unknown = sorted(set(services) - providers)
    if unknown:
        raise UserInputError(
            f"--stub {', '.join(unknown)}: no pact in {shop / 'pacts'} has it as provider; "
            f"services that can be stubbed: {', '.join(sorted(providers))}"
        )
    return [p for p in pacts if p.stem.split("-", 1)[1] in services]


def stub_spec(shop: Path, data_dir: Path, services: Sequence[str], port: int) -> ProcessSpec:
    """One `interlock stub serve` process serving `services` from their pacts on `port`."""
    return ProcessSpec(
        name=STUB_PROCESS,
        argv=[
            sys.executable,
            "-m",
            "interlock",
            "stub",
            "serve",
            *(str(p) for p in stub_pacts(shop, services)),
            "--port",
            str(port),
        ],
        log_path=data_dir / "logs" / "stubs.log",
        env={"PYTHONUNBUFFERED": "1"},
        health_url=f"http://127.0.0.1:{port}/__admin/services",
    )


def stub_urls(services: Sequence[str], port: int) -> dict[str, str]:
    """Where each stubbed service answers on the one stub port (a path prefix when several)."""
    base = f"http://127.0.0.1:{port}"
    if len(services) == 1:
        return {services[0]: base}
    return {name: f"{base}/{name}" for name in services}


def shop_ports(first: int | None) -> dict[str, int]:
    """Each shop service's port: FIRST, FIRST+1, ... in `PORT_ORDER`, or free ones (None).

    Fixed ports make the shop's URLs the same on every run, as the README's tour needs;
    a port already taken is an error naming it, not a silent change.
    """
    if first is None:
        return {name: free_port() for name in SHOP_SERVICES}
    ports = {name: first + offset for offset, name in enumerate(PORT_ORDER)}
    for name, port in ports.items():
        if not 0 < port < 65536:
            raise UserInputError(f"--shop-ports: {name} would get port {port}, outside 1-65535")
        check_can_listen(
            "127.0.0.1", port, f"{name}'s port: give --shop-ports another first port or `auto`"
        )
    return ports


def start_demo(
    processes: ProcessSet,
    data_dir: Path,
    port: int,
    timeout: float = 60.0,
    stubbed: Sequence[str] = (),
    first_shop_port: int | None = None,
) -> DemoRun:
    """Start the server, the stubs (if any) and the shop in `processes`; wait; record them.

    The shop's services listen on `first_shop_port` and the next three (free ports when
    None). Raises `ProcessStartError` naming what did not come up, with its last log
    lines; the caller's `ProcessSet` stops whatever did start.
    """
    shop = find_shop()
    unknown = sorted(set(stubbed) - set(SHOP_SERVICES))
    if unknown:
        raise UserInputError(
            f"--stub {', '.join(unknown)}: not a shop service; expected some of "
            f"{', '.join(SHOP_SERVICES)}"
        )
    stubbed = [name for name in SHOP_SERVICES if name in stubbed]
    ports = shop_ports(first_shop_port)
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server_url = f"http://127.0.0.1:{port}"
    # The server first: the services send it their spans from their first request on.
    server = server_spec(shop, data_dir, port)
    specs = [server]
    stubs: dict[str, str] = {}
    if stubbed:
        stub_port = free_port()
        specs.append(stub_spec(shop, data_dir, stubbed, stub_port))
        stubs = stub_urls(stubbed, stub_port)
    children = [processes.start(spec) for spec in specs]
    wait_healthy(children, timeout)
    services = shop_specs(shop, data_dir, server_url, ports, stub_urls=stubs, switches=True)
    children += [processes.start(spec) for spec in services]
    wait_healthy(children[len(specs) :], timeout)
    specs += services
    endpoints = [
        Endpoint(
            spec.name,
            (spec.health_url or "")
            .removesuffix("/health")
            .removesuffix("/__admin/services")
            .rstrip("/"),
            child.pid,
            str(spec.log_path),
        )
        for spec, child in zip(specs, children, strict=True)
    ]
    stub_pid = next((e.pid for e in endpoints if e.name == STUB_PROCESS), 0)
    endpoints += [
        Endpoint(name, url, stub_pid, str(data_dir / "logs" / "stubs.log"))
        for name, url in stubs.items()
    ]
    state_file = data_dir / STATE_FILE
    state = {
        "pid": os.getpid(),  # `interlock demo --stop` signals this process
        "started": process_start_time(os.getpid()),
        "dashboard": server_url,
        "processes": [asdict(e) for e in endpoints],
        "stubbed": stubbed,
    }
    state_file.write_text(json.dumps(state, indent=2) + "\n")
    return DemoRun(server_url, endpoints, state_file, stubbed, data_dir)
