"""`interlock change record` and `interlock incidents list/show/ack/resolve` on a real
SQLite database, through the CLI as people and scripts run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from interlock.cli.main import app
from interlock.errors import UserInputError

runner = CliRunner()


def _run(data_dir: Path, *args: str) -> Result:
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)])


def _alerts(data_dir: Path) -> None:
    """Two related alerts correlated into one incident, as the server would."""
    from interlock.catalog import load_catalog
    from interlock.incidents import IncidentDesk, IncidentSettings
    from interlock.store import create_engine_for, upgrade_database

    url = f"sqlite:///{data_dir / 'interlock.db'}"
    upgrade_database(url)
    engine = create_engine_for(url)
    shop = Path(__file__).resolve().parents[2] / "examples" / "shop"
    desk = IncidentDesk(engine, load_catalog(shop).graph, None, IncidentSettings())
    desk.receive(
        "plain",
        [{"name": "Errors", "service": "payments"}, {"name": "Errors", "service": "orders"}],
    )
    engine.dispose()


def test_change_record_prints_the_event_as_json(tmp_path: Path) -> None:
    """A recorded deploy comes back with its id, kind, service, version and time."""
    done = _run(
        tmp_path,
        "change",
        "record",
        "--service",
        "payments",
        "--kind",
        "deploy",
        "--version",
        "2.4.1",
        "--environment",
        "production",
        "--summary",
        "new card flow",
        "-f",
        "json",
    )
    assert 0 == done.exit_code, done.output
    change = json.loads(done.stdout)
    assert ("deploy", "payments", "2.4.1", "production") == (
        change["kind"],
        change["service"],
        change["version"],
        change["environment"],
    )
    assert change["occurred_at"].endswith("Z")


def test_change_record_refuses_an_unknown_kind(tmp_path: Path) -> None:
    """A kind outside deploy|config|migration|flag is a user error naming the choices."""
    done = _run(tmp_path, "change", "record", "--service", "x", "--kind", "reboot")
    assert isinstance(done.exception, UserInputError)
    assert "kind 'reboot': expected one of deploy, migration, config, flag" == str(done.exception)


def test_incidents_list_show_ack_resolve(tmp_path: Path) -> None:
    """The incident is listed, shown with its reasons, acknowledged, then resolved by hand."""
    _alerts(tmp_path)
    listed = json.loads(_run(tmp_path, "incidents", "list", "--format", "json").stdout)
    assert [(1, "open", "payments")] == [(i["id"], i["state"], i["origin"]) for i in listed]
    text = _run(tmp_path, "incidents", "list").stdout
    assert "payments" in text and "open" in text
    shown = json.loads(_run(tmp_path, "incidents", "show", "1", "-f", "json").stdout)
    assert ["first alert of this incident", "calls payments, which alerted at the same time"] == [
        a["join_reason"] for a in shown["alerts"]
    ]
    assert "calls payments" in _run(tmp_path, "incidents", "show", "1").stdout
    acked = _run(tmp_path, "incidents", "ack", "1", "--as", "ana", "-f", "json")
    assert "acknowledged" == json.loads(acked.stdout)["state"]
    resolved = _run(tmp_path, "incidents", "resolve", "1", "--as", "ana", "--note", "rolled back")
    assert "incident 1 is now resolved" in resolved.stdout


def test_unknown_incident_exits_2_with_one_line(tmp_path: Path) -> None:
    """As a user runs it: `incident 9: not found` on stderr, exit 2, no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "interlock", "incidents", "show", "9", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert 2 == done.returncode
    assert "incident 9: not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_incidents_show_reads_the_span_store_for_its_rca_check(
    tmp_path: Path, traffic: Any
) -> None:
    """With the server's span store in the data directory, `show` ranks the window's
    suspects and checks the origin against them."""
    import time

    now = time.time()
    traffic.calls("orders", "payments", now - 500, 40)
    traffic.calls("orders", "payments", now - 60, 40, errors=30)
    data_dir = tmp_path / "spans"  # where the `traffic` fixture's store lives
    _alerts(data_dir)
    shown = json.loads(_run(data_dir, "incidents", "show", "1", "-f", "json").stdout)
    assert "confirmed" == shown["origin_check"]["verdict"]
    assert "payments" == shown["origin_check"]["ranking"][0]["service"]
    assert {"orders", "payments"} == {c["service"] for c in shown["curves"]}
    assert "RCA #1 payments" in _run(data_dir, "incidents", "show", "1").stdout
