"""The demo's story end to end: contracts, stubs, migrations, traffic, a fault and its root cause.

Each test runs the real `interlock demo` in a subprocess with short chapter-5 timings and
reads what it found from DATA_DIR/story.json and the reports it saved.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

SHORT = ("--fault-after", "8", "--fault-for", "8")


def _saved_reports(data_dir: Path) -> dict[tuple[str, str], bool]:
    """(kind, proposal) -> ok, for every migration report the demo saved."""
    found = {}
    for path in sorted((data_dir / "reports" / "migrations").glob("*.json")):
        saved = json.loads(path.read_text())
        found[(saved["kind"], saved["label"].rsplit("/", 1)[-1])] = saved["ok"]
    return found


@pytest.mark.server
@pytest.mark.postgres
def test_story_verifies_checks_and_names_payments_then_ctrl_c_cleans_up(
    start_demo: Callable[..., Any],
    still_running: Callable[[list[int]], list[int]],
    processes_mentioning: Callable[[str], list[int]],
) -> None:
    demo = start_demo(*SHORT)
    pids = [p["pid"] for p in demo.state()["processes"]]
    demo.wait_for(lambda: demo.story().get("done", False), "the whole story", timeout=480)
    story = demo.story()

    # Chapter 2: every pair of the example pacts verified against the running provider.
    pairs = {(p["consumer"], p["provider"]): (p["ok"], p["passed"]) for p in story["contracts"]}
    assert {
        ("gateway", "inventory"): (True, 3),
        ("gateway", "orders"): (True, 4),
        ("orders", "inventory"): (True, 2),
        ("orders", "payments"): (True, 1),
    } == pairs
    # Chapter 4: the rename caught by all three checks, the expand version passing them.
    assert {
        ("impact", "rename-price"): False,
        ("impact", "expand-price"): True,
        ("dry-run", "rename-price"): False,
        ("dry-run", "expand-price"): True,
    } == _saved_reports(demo.data_dir)
    rename = next(c for c in story["migrations"] if c["proposal"] == "rename-price")
    assert ["orders"] == rename["broken_services"]
    assert "renaming-column" in rename["lint_errors"]
    # Chapter 5: the root cause of the fault in payments is payments.
    assert "payments" == story["rca"]["ranked"][0], story["rca"]
    printed = demo.printed()
    assert "Root cause: payments first" in printed
    # Where the story says to look, the dashboard shows it.
    dashboard = demo.state()["dashboard"]
    assert "rename-price" in httpx.get(f"{dashboard}/migrations").text
    rca_link = re.search(rf"{re.escape(dashboard)}/rca\?\S+", printed)
    assert rca_link is not None, printed
    rca = httpx.get(f"{dashboard}/api/rca?{rca_link.group(0).split('?', 1)[1]}").json()
    assert "payments" == rca["services"][0]["service"], rca

    assert 0 == demo.interrupt(), demo.printed()
    assert [] == still_running(pids)
    assert [] == still_running(processes_mentioning(str(demo.data_dir)))
    assert not Path(story["postgres_dir"]).exists()


@pytest.mark.server
@pytest.mark.postgres
def test_ctrl_c_during_the_migration_chapter_leaves_no_postgresql(
    start_demo: Callable[..., Any],
    still_running: Callable[[list[int]], list[int]],
    processes_mentioning: Callable[[str], list[int]],
) -> None:
    """Interrupted while its throwaway PostgreSQL runs, the demo stops it and removes its files."""
    demo = start_demo(*SHORT)
    demo.wait_for(lambda: "postgres_dir" in demo.story(), "the throwaway PostgreSQL's start")
    base_dir = Path(demo.story()["postgres_dir"])
    demo.wait_for((base_dir / "data" / "postmaster.pid").exists, "the throwaway PostgreSQL")
    assert 0 == demo.interrupt(), demo.printed()
    assert [] == still_running(processes_mentioning(str(demo.data_dir)))
    assert [] == still_running(processes_mentioning(str(base_dir)))
    assert not base_dir.exists()


@pytest.mark.server
def test_stubbed_dependencies_answer_gateway(
    start_demo: Callable[..., Any], still_running: Callable[[list[int]], list[int]]
) -> None:
    """`--stub orders,inventory`: gateway's GET /products is answered by inventory's stub."""
    demo = start_demo("--stub", "orders,inventory", "--no-story")
    state = demo.state()
    names = {p["name"]: p for p in state["processes"]}
    assert ["inventory", "orders"] == state["stubbed"]
    assert names["inventory"]["pid"] == names["stubs"]["pid"] == names["orders"]["pid"]

    products = httpx.get(f"{names['gateway']['url']}/products")
    assert 200 == products.status_code, products.text
    journal = httpx.get(f"{names['stubs']['url']}/__admin/journal").json()
    assert any("/products" in json.dumps(entry) for entry in journal["requests"])

    assert 0 == demo.interrupt(), demo.printed()
    assert [] == still_running([p["pid"] for p in state["processes"]])


@pytest.mark.server
def test_stubbed_providers_are_not_verified_and_the_story_says_so(
    start_demo: Callable[..., Any],
) -> None:
    """With payments stubbed, orders' pacts are skipped (their provider's dependency is a stub)."""
    demo = start_demo("--stub", "payments", *SHORT)
    demo.wait_for(lambda: "alone" in demo.story(), "chapter 3")
    story = demo.story()
    pairs = {(p["consumer"], p["provider"]): p for p in story["contracts"]}
    assert "payments stubbed" == pairs[("orders", "payments")]["skipped"]
    assert pairs[("gateway", "inventory")]["ok"]
    assert 200 == story["alone"]["gateway_products"]
    assert 0 == demo.interrupt(), demo.printed()


def test_a_service_without_pacts_cannot_be_stubbed(tmp_path: Path) -> None:
    """gateway is nobody's provider: `--stub gateway` is a usage error naming what can be stubbed."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "interlock",
            "demo",
            "--data-dir",
            str(tmp_path),
            "--stub",
            "gateway",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 2 == result.returncode, result.stdout + result.stderr
    assert "can be stubbed: inventory, orders, payments" in result.stderr
    assert "Traceback" not in result.stderr
