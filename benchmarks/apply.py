"""`migrate apply`, timed on a 1,000,000-row table: the guard rails' overhead, and a migration
blocked by a long transaction that must not queue other sessions behind it.

Run: `.venv/bin/python benchmarks/apply.py [--rows N] [--runs N] [--hold-seconds S]`
(a throwaway PostgreSQL is started). Prints:

- the same five migrations applied plainly (each file in one transaction and the
  golang-migrate history row, as the tool does) and by `apply_migrations` (lock_timeout,
  statement_timeout, the long-transaction check before each statement, progress events),
  best of N runs each on a fresh copy of the table, and the difference;
- a transaction holding ACCESS SHARE on the table for S seconds while readers query it every
  10 ms: the longest any reader waited, plainly (the ALTER queues behind the transaction and
  every reader queues behind the ALTER) and with apply (lock_timeout 200 ms, retried).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from interlock.envs import start_postgres
from interlock.migrations import read_migrations
from interlock.migrations.apply import apply_migrations
from interlock.migrations.apply_model import ApplyOptions

MIGRATIONS = (
    ("ALTER TABLE products ADD COLUMN note text;", "ALTER TABLE products DROP COLUMN note;"),
    (
        "ALTER TABLE products ADD COLUMN active boolean NOT NULL DEFAULT true;",
        "ALTER TABLE products DROP COLUMN active;",
    ),
    (
        "CREATE INDEX CONCURRENTLY products_price ON products (price);",
        "DROP INDEX CONCURRENTLY products_price;",
    ),
    (
        "ALTER TABLE products ADD CONSTRAINT price_positive CHECK (price >= 0) NOT VALID;\n"
        "ALTER TABLE products VALIDATE CONSTRAINT price_positive;",
        "ALTER TABLE products DROP CONSTRAINT price_positive;",
    ),
    (
        "ALTER TABLE products RENAME COLUMN note TO remark;",
        "ALTER TABLE products RENAME COLUMN remark TO note;",
    ),
)


def write_migrations(folder: Path) -> Path:
    for number, (up, down) in enumerate(MIGRATIONS, start=1):
        (folder / f"{number:06d}_step.up.sql").write_text(up + "\n")
        (folder / f"{number:06d}_step.down.sql").write_text(down + "\n")
    return folder


def load_base(url: str, rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL, price integer);"
            "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)"
        )
        conn.execute(
            "INSERT INTO products SELECT g, 'sku-' || g, g %% 5000 FROM generate_series(1, %s) g",
            (rows,),
        )
        conn.execute("VACUUM ANALYZE products")


def fresh_copy(server: Any, name: str) -> str:
    """A new database made from the loaded one (a file copy: seconds, not a reload)."""
    admin = server.url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE base")
    url: str = server.url(name)
    return url


def plain_apply(url: str, folder: Path) -> None:
    """What the tool itself does: each file in one transaction (CONCURRENTLY alone), then the
    history row."""
    with psycopg.connect(url, autocommit=True) as conn:
        for number, (up, _) in enumerate(MIGRATIONS, start=1):
            if "CONCURRENTLY" in up:
                conn.execute(up)  # type: ignore[arg-type]
            else:
                with conn.transaction():
                    conn.execute(up)  # type: ignore[arg-type]
            conn.execute("DELETE FROM schema_migrations")
            conn.execute("INSERT INTO schema_migrations VALUES (%s, false)", (number,))


def guarded_apply(url: str, folder: Path, **options: Any) -> Any:
    report = apply_migrations(url, read_migrations(folder), ApplyOptions(**options), lambda e: None)
    assert report.ok, report.summary()
    return report


def timed(runs: int, server: Any, actions: dict[str, Callable[[str], object]]) -> dict[str, float]:
    """Best time of each action over `runs`, interleaved (so drift in the machine's load hits
    both alike), each on a fresh copy whose pages were read once (no cold-cache first run)."""
    best = dict.fromkeys(actions, float("inf"))
    for run in range(runs):
        for name, action in actions.items():
            url = fresh_copy(server, f"run_{run}_{name}")
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("SELECT count(*) FROM products")
            started = time.perf_counter()
            action(url)
            best[name] = min(best[name], time.perf_counter() - started)
            with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
                conn.execute(f"DROP DATABASE run_{run}_{name}")
    return best


def overhead(server: Any, folder: Path, runs: int) -> None:
    best = timed(
        runs,
        server,
        {
            "plain": lambda url: plain_apply(url, folder),
            "guarded": lambda url: guarded_apply(url, folder),
        },
    )
    plain, guarded = best["plain"], best["guarded"]
    statements = sum(len(up.split(";")) - 1 for up, _ in MIGRATIONS)
    print(
        f"\nguard rails' overhead ({len(MIGRATIONS)} migrations, {statements} statements, "
        f"best of {runs}, interleaved):"
    )
    print(f"  plain (the tool's own way)  {plain * 1000:8.1f} ms")
    print(f"  migrate apply               {guarded * 1000:8.1f} ms")
    extra = guarded - plain
    print(
        f"  overhead                    {extra * 1000:8.1f} ms ({extra / plain:+.1%}), "
        f"{extra * 1000 / statements:.1f} ms a statement"
    )


def blocked(server: Any, folder: Path, hold_seconds: float) -> None:
    """Readers' longest wait while a long transaction holds the table, plain and guarded."""
    alter = folder.parent / "blocked"
    alter.mkdir(exist_ok=True)
    (alter / "000001_weight.up.sql").write_text("ALTER TABLE products ADD COLUMN weight integer;\n")
    (alter / "000001_weight.down.sql").write_text("ALTER TABLE products DROP COLUMN weight;\n")
    print(
        f"\na transaction holds ACCESS SHARE on products for {hold_seconds:.1f} s; readers every 10 ms:"
    )
    for how in ("plain", "apply"):
        url = fresh_copy(server, f"blocked_{how}")

        def migrate(url: str = url, how: str = how) -> str:
            if how == "plain":
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("ALTER TABLE products ADD COLUMN weight integer")
                return "waited for the lock, readers queued behind it"
            report = guarded_apply(
                url, alter, lock_timeout_ms=200, long_transaction_ms=500, retries=60,
                backoff_ms=100.0, backoff_cap_ms=1000.0,
            )  # fmt: skip
            return f"{len(report.migrations[0].retries)} retries"

        waits, took, note = _with_holder_and_readers(url, hold_seconds, migrate)
        print(
            f"  {how:6} migration done after {took:5.2f} s ({note}); readers: {len(waits)} queries, "
            f"longest wait {max(waits):7.1f} ms"
        )


def _with_holder_and_readers(
    url: str, hold_seconds: float, migrate: Callable[[], str]
) -> tuple[list[float], float, str]:
    holder = psycopg.connect(url)
    holder.execute("SELECT count(*) FROM products")  # ACCESS SHARE until the transaction ends
    stop = threading.Event()
    waits: list[float] = []

    def release() -> None:
        time.sleep(hold_seconds)
        holder.rollback()

    def read() -> None:
        with psycopg.connect(url, autocommit=True) as reader:
            while not stop.is_set():
                started = time.perf_counter()
                reader.execute("SELECT price FROM products WHERE id = 1")
                waits.append((time.perf_counter() - started) * 1000)
                time.sleep(0.01)

    threads = [threading.Thread(target=release), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # the holder is now a long transaction, the readers are reading
    started = time.perf_counter()
    try:
        note = migrate()
    finally:
        took = time.perf_counter() - started
        stop.set()
        for thread in threads:
            thread.join()
        holder.close()
    return waits, took, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hold-seconds", type=float, default=3.0)
    args = parser.parse_args()
    server = start_postgres()
    try:
        started = time.perf_counter()
        base = server.create_database("base")
        load_base(base, args.rows)
        print(f"products: {args.rows:,} rows loaded in {time.perf_counter() - started:.1f} s")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "m"
            folder.mkdir()
            write_migrations(folder)
            overhead(server, folder, args.runs)
            blocked(server, folder, args.hold_seconds)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
