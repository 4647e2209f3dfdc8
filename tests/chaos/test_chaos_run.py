"""`interlock chaos run`: Chaos Toolkit's runner in process, journals kept, faults on stubs
and toxics on Interlock's proxy; `interlock chaos verify`: declared timeouts checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from interlock.chaos import ChaosProxyServer, stored_journals
from interlock.stubs import StubServer

from .conftest import HERE, Collector, GatewayFactory

pytestmark = pytest.mark.server

EXPERIMENT = HERE / "experiments" / "slow-orders.json"


def _interlock(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,
        check=False,
    )


def test_chaos_run_keeps_the_journal_and_reports_the_steady_state(
    tmp_path: Path, start_gateway: GatewayFactory, orders_stub: StubServer, collector: Collector
) -> None:
    """The experiment passes on a gateway with a timeout; the journal (Chaos Toolkit's) is
    kept under --data-dir and written to --journal-path."""
    gateway = start_gateway(0.5)
    data = collector.data_dir
    done = _interlock(
        "chaos", "run", str(EXPERIMENT), "-f", "json", "--data-dir", str(data),
        "--journal-path", str(tmp_path / "journal.json"),
        "--var", f"gateway_url={gateway}", "--var", f"interlock_stub_admin={orders_stub.admin_url}",
        "--var", f"interlock_data_dir={data}",
        cwd=tmp_path,
    )  # fmt: skip
    assert 0 == done.returncode, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert (True, "completed") == (summary["passed"], summary["status"])
    assert summary["after"]["probes"][0]["output"] < 800
    journal = json.loads((tmp_path / "journal.json").read_text(encoding="utf-8"))
    assert {"chaoslib-version", "platform", "node", "experiment", "start", "status", "deviated",
            "steady_states", "run", "rollbacks", "end", "duration"} <= set(journal)  # fmt: skip
    kept = stored_journals(data)
    assert 1 == len(kept)
    assert journal == kept[0].journal


def test_toxics_on_the_chaos_proxy_slow_the_calls_through_it(
    tmp_path: Path, orders_stub: StubServer
) -> None:
    """An experiment adds a latency toxic to a proxy in front of orders: the HTTP probe
    through the proxy takes the toxic's time; the rollback removes it."""
    import asyncio
    import threading
    import time

    import httpx

    server = ChaosProxyServer(port=0)
    server.bind()
    thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        upstream = orders_stub.endpoints()[0].url.removeprefix("http://")
        created = httpx.post(
            f"{server.url}/proxies",
            json={"name": "orders", "listen": "127.0.0.1:0", "upstream": upstream},
        )
        listen = created.json()["listen"]
        python = {"type": "python", "module": "interlock.chaos.actions"}
        experiment: dict[str, Any] = {
            "title": "orders through a slow network",
            "description": "a 400 ms latency toxic on the proxy",
            "configuration": {"interlock_chaos_api": server.url},
            "method": [
                {"type": "action", "name": "slow-network", "provider": {**python, "func": "add_proxy_toxic",
                 "arguments": {"proxy": "orders", "toxic": {"name": "slow", "type": "latency", "attributes": {"latency": 400}}}}},
                {"type": "probe", "name": "order-through-proxy", "provider": {"type": "http",
                 "url": f"http://{listen}/orders/8f14e45fceea167a5a36dedd4bea2543", "timeout": 5}},
            ],
            "rollbacks": [
                {"type": "action", "name": "heal-network", "provider": {**python, "func": "remove_proxy_toxic",
                 "arguments": {"proxy": "orders", "toxic": "slow"}}},
            ],
        }  # fmt: skip
        path = tmp_path / "experiment.json"
        path.write_text(json.dumps(experiment), encoding="utf-8")
        done = _interlock(
            "chaos",
            "run",
            str(path),
            "--data-dir",
            str(tmp_path / "data"),
            "-f",
            "json",
            cwd=tmp_path,
        )
        assert 0 == done.returncode, done.stdout + done.stderr
        journal = stored_journals(tmp_path / "data")[0].journal
        probe = journal["run"][1]
        assert 200 == probe["output"]["status"]
        assert probe["duration"] >= 0.4
        assert [] == httpx.get(f"{server.url}/proxies/orders/toxics").json()
    finally:
        server.stop()
        thread.join(timeout=10)


def test_invalid_experiment_is_an_input_error(tmp_path: Path) -> None:
    """An experiment without a method fails Chaos Toolkit's validation: exit 2, one line."""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"title": "t", "description": "d"}), encoding="utf-8")
    done = _interlock("chaos", "run", str(path), "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert 2 == done.returncode
    assert f"{path}: not a valid Chaos Toolkit experiment" in done.stderr
    assert "Traceback" not in done.stderr
