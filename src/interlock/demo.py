"""`interlock demo`: the example shop's four services and the Interlock server, run together.

What to start (with free ports, SQLite under the data dir, traces to the server) is
planned here; starting, health checks and stopping are `interlock.processes`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import interlock
from interlock.errors import UserInputError
from interlock.ports import free_port
from interlock.processes import ProcessSet, ProcessSpec, wait_healthy

# Dependencies first, so each service starts after what it calls.
SHOP_SERVICES = ("inventory", "payments", "orders", "gateway")
STATE_FILE = "demo.json"


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


def find_shop() -> Path:
    """`examples/shop` in the repository this package is installed (editable) from."""
    repo = Path(interlock.__file__).resolve().parent.parent.parent
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
) -> list[ProcessSpec]:
    """One process per shop service on a free port; logs (and SQLite files) under `data_dir`.

    `database_urls` maps `orders` and `inventory` to their databases (default: SQLite
    files); spans go to `otlp_endpoint` when given (services export only when it is set).
    """
    ports = ports or {name: free_port() for name in SHOP_SERVICES}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
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


def start_demo(processes: ProcessSet, data_dir: Path, port: int, timeout: float = 60.0) -> DemoRun:
    """Start the server and the shop in `processes`, wait until all answer, record them.

    Raises `ProcessStartError` naming what did not come up, with its last log lines;
    the caller's `ProcessSet` stops whatever did start.
    """
    shop = find_shop()
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server_url = f"http://127.0.0.1:{port}"
    # The server first: the services send it their spans from their first request on.
    server = server_spec(shop, data_dir, port)
    children = [processes.start(server)]
    wait_healthy(children, timeout)
    services = shop_specs(shop, data_dir, server_url)
    children += [processes.start(spec) for spec in services]
    wait_healthy(children[1:], timeout)
    specs = [server, *services]
    endpoints = [
        Endpoint(
            spec.name,
            (spec.health_url or "").removesuffix("/health").rstrip("/"),
            child.pid,
            str(spec.log_path),
        )
        for spec, child in zip(specs, children, strict=True)
    ]
    state_file = data_dir / STATE_FILE
    state = {"dashboard": server_url, "processes": [asdict(e) for e in endpoints]}
    state_file.write_text(json.dumps(state, indent=2) + "\n")
    return DemoRun(server_url, endpoints, state_file)
