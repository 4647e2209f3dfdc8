"""`interlock perf run` and `perf check` as a CI job runs them: exit codes, JSON, JUnit."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from interlock.stubs import StubServer, add_fault

from .conftest import SHOP_PACTS

pytestmark = pytest.mark.server

INTERLOCK = [sys.executable, "-m", "interlock"]


def _interlock(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*INTERLOCK, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False
    )


def _load(stub: StubServer, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    url = stub.endpoints()[0].url
    return _interlock(
        "perf", "run", "--target", url, "--pacts", str(SHOP_PACTS), "--service", "orders",
        "--data-dir", str(data), *args, cwd=data.parent,
    )  # fmt: skip


def test_violated_threshold_exits_1_with_json_and_junit(
    orders_stub: StubServer, tmp_path: Path
) -> None:
    """A threshold that cannot hold fails the run (exit 1), in the JSON and in the JUnit file."""
    junit = tmp_path / "perf.xml"
    done = _load(
        orders_stub, tmp_path / "data", "--rate", "30", "--duration", "2s", "--commit", "c1",
        "-t", "p95<60s", "-t", "POST /orders: p50<0.001ms", "--junit", str(junit), "-f", "json",
    )  # fmt: skip
    assert 1 == done.returncode, done.stderr
    report = json.loads(done.stdout)
    assert [True, False] == [t["passed"] for t in report["thresholds"]]
    assert 60 == report["result"]["requests"]
    assert report["stored"]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert ("2", "1") == (suite.get("tests"), suite.get("failures"))


def test_thresholds_that_hold_exit_0_and_print_a_table(
    orders_stub: StubServer, tmp_path: Path
) -> None:
    """Every threshold holding is exit 0; the text report lists operations and verdicts."""
    done = _load(
        orders_stub,
        tmp_path / "data",
        "--rate",
        "20",
        "--duration",
        "1s",
        "-t",
        "error_rate<5%",
        "--no-store",
    )
    assert 0 == done.returncode, done.stderr
    assert "POST /orders" in done.stdout
    assert "✓ error_rate<5%" in done.stdout


def test_bad_threshold_is_a_usage_error(tmp_path: Path) -> None:
    """An unreadable threshold: one line naming the flag, exit 2, before any load is sent."""
    done = _interlock(
        "perf", "run", "--target", "http://127.0.0.1:1", "-t", "p95 under 2", cwd=tmp_path
    )
    assert 2 == done.returncode
    assert "--threshold 'p95 under 2'" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_finds_the_operation_a_fault_made_slower(
    orders_stub: StubServer, tmp_path: Path
) -> None:
    """Baseline runs, then 200 ms added to POST /orders on the stub: `perf check` names that
    operation with its interval and exits 1, and not the median of the untouched one; the
    same commit against itself is clean. (The fault is far above this shared machine's
    noise: an untouched operation's p95 can move by tens of ms under load.)"""
    data = tmp_path / "data"
    common = ("--rate", "40", "--duration", "2s", "--repeat", "3")
    assert 0 == _load(orders_stub, data, *common, "--commit", "base").returncode
    admin = orders_stub.admin_url or ""
    add_fault(admin, "orders", {"type": "latency", "latency": 200, "route": "POST /orders"})
    assert 0 == _load(orders_stub, data, *common, "--commit", "slow").returncode

    check = ("perf", "check", "--service", "orders", "--data-dir", str(data), "--against", "base")
    done = _interlock(*check, "--commit", "slow", "-f", "json", cwd=tmp_path)
    assert 1 == done.returncode, done.stderr
    report = json.loads(done.stdout)
    assert any(m.startswith("p50 of POST /orders +") for m in report["regressions"]), report
    assert not any(m.startswith("p50 of GET /orders/") for m in report["regressions"]), report

    same = _interlock(*check, "--commit", "base", cwd=tmp_path)
    assert 0 == same.returncode, same.stdout
    assert "no regression" in same.stdout


def test_check_without_baseline_runs_says_which_commits_have_runs(
    orders_stub: StubServer, tmp_path: Path
) -> None:
    """`--against` a commit with no runs is an input error listing the commits that have some."""
    data = tmp_path / "data"
    assert (
        0
        == _load(
            orders_stub, data, "--rate", "10", "--duration", "1s", "--commit", "abc1234567"
        ).returncode
    )
    done = _interlock(
        "perf",
        "check",
        "--service",
        "orders",
        "--data-dir",
        str(data),
        "--against",
        "nothere",
        "--commit",
        "abc1234567",
        cwd=tmp_path,
    )
    assert 2 == done.returncode
    assert "--against nothere: no runs of orders at it; runs exist at abc1234567" in done.stderr


def test_env_file_brings_the_service_up_loads_it_and_brings_it_down(tmp_path: Path) -> None:
    """With --env, the service runs inside its environment (its dependency stubbed) for the
    load test, and the environment is down afterwards."""
    caller = Path(__file__).resolve().parents[1] / "chaos" / "caller_service.py"
    (tmp_path / "env.yaml").write_text(
        "name: gateway-perf\n"
        "service:\n"
        "  name: gateway\n"
        "  real:\n"
        f"    command: ${{python}} {caller} ${{port}} ${{ORDERS_URL}} none 2\n"
        "    port: auto\n"
        "dependencies:\n"
        f"  orders:\n    stub: {SHOP_PACTS / 'gateway-orders.json'}\n",
        encoding="utf-8",
    )
    (tmp_path / "scenario.yaml").write_text(
        "stages: [{duration: 2s, rate: 10}]\n"
        "flows:\n  - steps: [{method: GET, path: /checkout, status: 200}]\n",
        encoding="utf-8",
    )
    done = _interlock(
        "perf", "run", "--env", "env.yaml", "--scenario", "scenario.yaml", "-t", "error_rate<1%",
        "--no-store", "-f", "json", cwd=tmp_path,
    )  # fmt: skip
    assert 0 == done.returncode, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert ("gateway", 20) == (report["service"], report["result"]["requests"])
    assert not (tmp_path / ".interlock" / "envs" / "gateway-perf" / "state.json").exists()
