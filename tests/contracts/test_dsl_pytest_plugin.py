"""The `interlock_pact` fixture of Interlock's pytest plugin, run in a separate pytest on a scratch project.

The inner runs are real pytest processes that load the plugin through its `pytest11` entry point.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.server

HEADER = """
import httpx
from interlock.contracts import match
"""

GET_ORDER = """
def test_get_order(interlock_pact):
    pact = interlock_pact("web", "orders")
    (
        pact.upon_receiving("a request for order 7")
        .given("an order exists", id=7)
        .with_request("GET", "/orders/7")
        .will_respond_with(200, body={"id": match.integer(7)})
    )
    assert 7 == httpx.get(f"{pact.url}/orders/7").json()["id"]
"""

LIST_ORDERS = """
def test_list_orders(interlock_pact):
    pact = interlock_pact("web", "orders")
    (
        pact.upon_receiving("a request for all orders")
        .with_request("GET", "/orders")
        .will_respond_with(200, body=match.each_like({"id": match.integer(7)}))
    )
    payments = interlock_pact("web", "payments")
    payments.upon_receiving("a request for payment 1").with_request("GET", "/payments/1").will_respond_with(200)
    httpx.get(f"{pact.url}/orders")
    httpx.get(f"{payments.url}/payments/1")
"""

WRONG_PATH = """
def test_wrong_path(interlock_pact):
    pact = interlock_pact("web", "orders")
    pact.upon_receiving("a request for all orders").with_request("GET", "/orders").will_respond_with(200)
    httpx.get(f"{pact.url}/order")
"""

OTHER_ORDER_SHAPE = """
def test_other_shape(interlock_pact):
    pact = interlock_pact("web", "orders")
    (
        pact.upon_receiving("a request for order 7")
        .given("an order exists", id=7)
        .with_request("GET", "/orders/7")
        .will_respond_with(200, body={"id": match.string("7")})
    )
    httpx.get(f"{pact.url}/orders/7")
"""

INCOMPLETE = """
def test_incomplete(interlock_pact):
    pact = interlock_pact("web", "orders")
    pact.upon_receiving("a request for all orders").with_request("GET", "/orders")
"""


def _project(folder: Path, *tests: str, ini: str = "") -> Path:
    (folder / "pytest.ini").write_text(f"[pytest]\n{ini}\n", encoding="utf-8")
    (folder / "test_consumer.py").write_text(
        HEADER + "\n".join(textwrap.dedent(t) for t in tests), encoding="utf-8"
    )
    return folder


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _descriptions(path: Path) -> list[str]:
    return [i["description"] for i in json.loads(path.read_text(encoding="utf-8"))["interactions"]]


def test_passing_tests_write_one_sorted_file_per_pair(tmp_path: Path) -> None:
    project = _project(tmp_path, GET_ORDER, LIST_ORDERS)
    run = _pytest(project)
    assert 0 == run.returncode, run.stdout
    assert ["web-orders.json", "web-payments.json"] == sorted(
        p.name for p in (project / "pacts").iterdir()
    )
    assert ["a request for all orders", "a request for order 7"] == _descriptions(
        project / "pacts" / "web-orders.json"
    )


def test_rerunning_writes_the_same_bytes(tmp_path: Path) -> None:
    project = _project(tmp_path, GET_ORDER, LIST_ORDERS)
    _pytest(project)
    first = (project / "pacts" / "web-orders.json").read_bytes()
    _pytest(project)
    assert first == (project / "pacts" / "web-orders.json").read_bytes()


def test_a_request_that_matched_nothing_fails_the_test_with_a_diff(tmp_path: Path) -> None:
    project = _project(tmp_path, WRONG_PATH)
    run = _pytest(project)
    assert 1 == run.returncode
    assert (
        "mock provider web -> orders: 2 problem(s)\n"
        "\n"
        "request matched no interaction: GET /order\n"
        "  closest interaction: 'a request for all orders' (GET /orders)\n"
        '    path: expected path "/orders", found "/order"\n'
        "      - expected: /orders\n"
        "      + received: /order\n"
        "\n"
        "interaction never called: 'a request for all orders' (GET /orders)"
    ) in run.stdout
    assert "Traceback" not in run.stdout
    assert not (project / "pacts").exists()


def test_a_pair_with_a_failing_test_keeps_its_previous_file(tmp_path: Path) -> None:
    project = _project(tmp_path, GET_ORDER)
    _pytest(project)
    before = (project / "pacts" / "web-orders.json").read_bytes()
    _project(tmp_path, GET_ORDER, WRONG_PATH)
    assert 1 == _pytest(project).returncode
    assert before == (project / "pacts" / "web-orders.json").read_bytes()


def test_the_same_interaction_declared_differently_fails(tmp_path: Path) -> None:
    project = _project(tmp_path, GET_ORDER, OTHER_ORDER_SHAPE)
    run = _pytest(project)
    assert 1 == run.returncode
    assert (
        "web -> orders: the interaction 'a request for order 7' is declared twice with different requests or responses"
        in run.stdout
    )


def test_pact_dir_comes_from_the_option_then_the_ini(tmp_path: Path) -> None:
    project = _project(
        tmp_path, GET_ORDER, ini="interlock_pact_dir = contracts\ninterlock_pact_spec = 3"
    )
    _pytest(project)
    written = json.loads((project / "contracts" / "web-orders.json").read_text(encoding="utf-8"))
    assert {"pactSpecification": {"version": "3.0.0"}} == written["metadata"]
    _pytest(project, "--pact-dir", "elsewhere")
    assert (project / "elsewhere" / "web-orders.json").is_file()


def test_merge_mode_keeps_the_interactions_of_tests_not_run(tmp_path: Path) -> None:
    project = _project(tmp_path, GET_ORDER, LIST_ORDERS)
    _pytest(project)
    _pytest(project, "-k", "get_order", "--pact-write-mode", "merge")
    assert ["a request for all orders", "a request for order 7"] == _descriptions(
        project / "pacts" / "web-orders.json"
    )
    _pytest(project, "-k", "get_order")
    assert ["a request for order 7"] == _descriptions(project / "pacts" / "web-orders.json")


def test_an_incomplete_interaction_fails_the_test_in_one_line(tmp_path: Path) -> None:
    run = _pytest(_project(tmp_path, INCOMPLETE))
    assert 1 == run.returncode
    assert (
        "interaction 'a request for all orders' is incomplete: call will_respond_with(...)"
        in run.stdout
    )
    assert "Traceback" not in run.stdout


def test_every_plugin_setting_is_documented(tmp_path: Path) -> None:
    """Each flag and ini key the plugin adds (as `pytest --help` lists them) is in docs/contracts.md."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "contracts.md").read_text(
        encoding="utf-8"
    )
    listing = _pytest(_project(tmp_path), "--help").stdout
    settings = set(re.findall(r"--pact-[a-z-]+", listing)) | set(
        re.findall(r"\binterlock_pact_[a-z_]+", listing)
    )
    assert {
        "--pact-dir",
        "--pact-write-mode",
        "interlock_pact_dir",
        "interlock_pact_write_mode",
        "interlock_pact_spec",
    } <= settings
    assert [] == sorted(s for s in settings if f"`{s}" not in docs)
