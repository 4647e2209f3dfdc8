"""Chapter 4 of `interlock demo`: inventory's proposed migrations, checked the way CI would.

Lint, impact and a dry run on a throwaway PostgreSQL for the dangerous rename and its safe
expand/contract version; the impact and dry-run reports are saved for the dashboard.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from rich.markup import escape

from interlock.contracts import load_contract_queries
from interlock.envs import (
    PostgresError,
    PostgresInstance,
    apply_migrations,
    start_postgres,
    stop_postgres,
)
from interlock.errors import InterlockError
from interlock.migrations import (
    LintSettings,
    Severity,
    dry_run,
    impact_of_directory,
    lint_paths,
    read_migrations,
    save_report,
)

PROPOSALS = ("rename-price", "expand-price")
APPLIED_VERSION = "2"  # inventory's deployed schema: migrations 1 and 2
DEMO_ROWS = 5000


@dataclass
class MigrationCheck:
    """The three verdicts for one proposed version, and the ids of the saved reports."""

    proposal: str
    lint_errors: list[str] = field(default_factory=list)
    broken_services: list[str] = field(default_factory=list)
    dry_run_ok: bool | None = None
    """None when the dry run could not run (no PostgreSQL binaries)."""
    dry_run_problems: list[str] = field(default_factory=list)
    reports: dict[str, str] = field(default_factory=dict)

    @property
    def safe(self) -> bool:
        return not self.lint_errors and not self.broken_services and self.dry_run_ok is not False

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "safe": self.safe,
            "lint_errors": self.lint_errors,
            "broken_services": self.broken_services,
            "dry_run_ok": self.dry_run_ok,
            "dry_run_problems": self.dry_run_problems,
            "reports": self.reports,
        }


class ThrowawayPostgres:
    """The chapter's PostgreSQL in a new temporary directory, stoppable from another thread.

    Not under the demo's data dir: the server runs as the `postgres` user when we are root,
    and a private data dir would be out of its reach. `stop()` (Ctrl-C in the main thread)
    waits for a start in progress, then removes the cluster; a start asked for after
    `stop()` raises `PostgresError` instead of starting.
    """

    def __init__(self, on_start: Callable[[Path], None] | None = None) -> None:
        self.on_start = on_start
        self.base_dir: Path | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> PostgresInstance:
        with self._lock:
            if self._stopped:
                raise PostgresError("the demo is stopping")
            self.base_dir = Path(tempfile.mkdtemp(prefix="interlock-demo-pg-"))
            if self.on_start is not None:
                self.on_start(self.base_dir)
            return start_postgres(self.base_dir)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self.base_dir is not None:
                stop_postgres(self.base_dir)


def _label(proposal: str) -> str:
    return f"inventory/proposed/{proposal}"


def _new_files(directory: Path) -> list[Path]:
    """The proposed migrations themselves (the applied ones are symlinks to the real ones)."""
    return [p for p in sorted(directory.glob("*.up.sql")) if not p.is_symlink()]


def seed_inventory(instance: PostgresInstance, shop: Path, rows: int = DEMO_ROWS) -> str:
    """An `inventory` database as deployed: migrations 1 and 2, and `rows` products."""
    url = instance.create_database("inventory")
    apply_migrations(url, shop / "inventory" / "migrations")
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO products (id, sku, name, price, stock) "
            "SELECT g, 'sku-' || g, 'product ' || g, g %% 5000, 10 "
            "FROM generate_series(1, %s) g",
            (rows,),
        )
    return url


def check_proposals(
    shop: Path,
    data_dir: Path,
    postgres: ThrowawayPostgres,
    say: Callable[[str], None],
) -> list[MigrationCheck]:
    """Lint, impact and dry-run every proposal; reports saved under `data_dir`.

    Without PostgreSQL binaries the dry runs are skipped (said once through `say`).
    """
    proposed = shop / "inventory" / "proposed"
    contract_files = [shop / "orders" / "contracts"]
    contracts = load_contract_queries(contract_files)
    checks = []
    for proposal in PROPOSALS:
        directory = proposed / proposal
        check = MigrationCheck(proposal)
        lint = lint_paths(_new_files(directory), LintSettings())
        check.lint_errors = sorted({f.rule for f in lint.findings if f.severity is Severity.error})
        impact = impact_of_directory(
            directory,
            catalog_dir=shop,
            database="inventory",
            contract_paths=contract_files,
            from_version=APPLIED_VERSION,
        )
        check.broken_services = sorted({s for c in impact.changes if c.uses for s in c.services})
        saved = save_report(data_dir, "impact", _label(proposal), impact.to_json())
        check.reports["impact"] = saved.id
        checks.append(check)
    try:
        instance = postgres.start()
    except PostgresError as error:
        say(f"  dry runs skipped: {escape(str(error).splitlines()[0])}")
        return checks
    try:
        url = seed_inventory(instance, shop)
        for check in checks:
            directory = proposed / check.proposal
            report = dry_run(
                url,
                read_migrations(directory),
                from_version=APPLIED_VERSION,
                contracts=contracts,
            )
            check.dry_run_ok = report.ok
            check.dry_run_problems = _problems(report.to_json())
            saved = save_report(data_dir, "dry-run", _label(check.proposal), report.to_json())
            check.reports["dry-run"] = saved.id
    except (InterlockError, psycopg.Error) as error:
        say(f"  dry runs failed: {escape(str(error))}")
    finally:
        postgres.stop()
    return checks


def _problems(report: dict[str, Any]) -> list[str]:
    """Short reasons a dry run failed: broken contract queries, statements, rollback."""
    problems = [
        f"{c.get('consumer', 'a consumer')}'s query {c.get('name', '')} fails: "
        f"{str(c.get('error', '')).splitlines()[0] if c.get('error') else ''}"
        for c in report.get("contracts", [])
        if not c.get("ok", True)
    ]
    rollback = report.get("rollback") or {}
    if rollback.get("differences"):
        problems.append("rollback differs from the schema before")
    return problems
