"""A throwaway PostgreSQL cluster started from the local binaries (initdb, pg_ctl).

Used by `env up` for `postgres` dependencies and by the test suite; schema from a migrations
directory and optional seed SQL; stopping it also removes its data directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from interlock.errors import InterlockError, UserInputError
from interlock.ports import free_port


class PostgresError(InterlockError):
    """PostgreSQL could not be found, initialised, started or given its schema."""


def pg_binary(name: str) -> str:
    """The path of a PostgreSQL program (`initdb`, `pg_ctl`): PATH first, then Debian's layout."""
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise PostgresError(
        f"PostgreSQL program {name!r} not found: install PostgreSQL (Debian: apt-get install postgresql)"
    )


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, run it as the `postgres` user instead."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(_as_postgres_user(command), capture_output=True, text=True)
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip().splitlines()[-10:]
        raise PostgresError(
            f"{what} failed (exit {done.returncode}):\n    " + "\n    ".join(output)
        )


@dataclass(frozen=True)
class PostgresInstance:
    """A running throwaway cluster on `host:port`; `base_dir` holds its data, socket and log."""

    base_dir: Path
    host: str
    port: int
    user: str = "postgres"

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "log"

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create (or recreate) database `name`; returns its libpq URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def postmaster_pid(self) -> int | None:
        """The server's pid from `postmaster.pid`, or None when it is not running."""
        return postmaster_pid(self.data_dir)

    def stop(self) -> None:
        """Stop the server (fast: open sessions are cut) and remove every file it had."""
        stop_postgres(self.base_dir)


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        first = (data_dir / "postmaster.pid").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(first) if first.strip().isdigit() else None


def start_postgres(base_dir: Path | None = None, port: int | None = None) -> PostgresInstance:
    """initdb and start a cluster under `base_dir` (default: a new temporary directory).

    Trust authentication on 127.0.0.1 only, fsync off: fast, and for tests and local runs only.
    On failure nothing is left running and the directory is removed.
    """
    base = Path(tempfile.mkdtemp(prefix="interlock-pg-")) if base_dir is None else base_dir
    base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    instance = PostgresInstance(base, "127.0.0.1", port or free_port())
    try:
        _new_cluster(instance.data_dir, instance.user)
        options = (
            f"-c listen_addresses=127.0.0.1 -p {instance.port} -k {base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run(
            [
                pg_binary("pg_ctl"),
                *("-D", str(instance.data_dir), "-o", options),
                *("-l", str(instance.log_path), "-w", "-t", "30", "start"),
            ],
            f"starting PostgreSQL on port {instance.port} (log: {instance.log_path})",
        )
    except BaseException:
        stop_postgres(base)
        raise
    return instance


def _initdb(data_dir: Path, user: str) -> None:
    _run(
        [
            pg_binary("initdb"),
            *("-D", str(data_dir), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8"),
        ],
        "initdb",
    )


def _template_dir(user: str) -> Path:
    """Where a pristine cluster made by this initdb is kept, keyed by the binary and options."""
    binary = Path(pg_binary("initdb")).resolve()
    facts = binary.stat()
    key = hashlib.sha256(
        f"{binary}:{facts.st_size}:{facts.st_mtime_ns}:{user}:{os.geteuid()}:v1".encode()
    ).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"interlock-pg-template-{key}"


def _new_cluster(data_dir: Path, user: str) -> None:
    """A fresh cluster at `data_dir`: a copy of a cached pristine one (faster than initdb,
    which runs the whole bootstrap), made once by initdb; plain initdb if caching fails."""
    template = _template_dir(user)
    if not (template / "data" / "PG_VERSION").exists():
        partial = Path(tempfile.mkdtemp(prefix=template.name + ".partial-"))
        try:
            if os.geteuid() == 0:
                shutil.chown(partial, "postgres", "postgres")
            _initdb(partial / "data", user)
            partial.chmod(0o755)  # readable by the copying user; the data dir stays 0700
            with suppress(OSError):  # another process made it first: theirs is as good
                partial.rename(template)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    try:
        _run(["cp", "-a", str(template / "data"), str(data_dir)], "copying the template cluster")
    except PostgresError:
        shutil.rmtree(data_dir, ignore_errors=True)
        _initdb(data_dir, user)


def stop_postgres(base_dir: Path) -> None:
    """Stop the cluster under `base_dir` if it runs, then remove the directory entirely."""
    data = base_dir / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_postgres_user([pg_binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )
        pid = postmaster_pid(data)
        if pid is not None:  # pg_ctl could not stop it: do not leave a server behind
            _kill_postmaster(pid)
    shutil.rmtree(base_dir, ignore_errors=True)


def _kill_postmaster(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown; backends exit with it
    except ProcessLookupError:
        return


def apply_migrations(url: str, migrations_dir: Path) -> int:
    """Run every up migration of `migrations_dir` in order; returns how many ran.

    Each migration runs in one transaction unless its layout says it must not (then each
    statement runs alone, as `CREATE INDEX CONCURRENTLY` needs). Each is recorded in its
    tool's history table (golang-migrate's or dbmate's `schema_migrations`, Flyway's
    `flyway_schema_history`, diesel's), so that the tool and `migrate dry-run` know it applied.
    """
    import psycopg

    from interlock.migrations import create_history_table, read_migrations, record_applied

    migrations = read_migrations(migrations_dir)
    with psycopg.connect(url, autocommit=True) as conn:
        recorded = create_history_table(conn, migrations[0].layout)
        for migration in migrations:
            statements = [s.text for s in migration.up.statements]
            started = time.perf_counter()
            try:
                if migration.runs_in_transaction:
                    with conn.transaction():
                        for text in statements:
                            conn.execute(text)  # migration SQL, run as written
                        if recorded:
                            record_applied(conn, migration, _ms_since(started))
                else:
                    for text in statements:
                        conn.execute(text)
                    if recorded:
                        record_applied(conn, migration, _ms_since(started))
            except psycopg.Error as error:
                raise UserInputError(
                    f"{migration.up_path}: migration {migration.version} failed: {error}".strip()
                ) from None
    return len(migrations)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def run_sql_file(url: str, path: Path) -> None:
    """Run a seed SQL file as one script (several statements)."""
    import psycopg

    try:
        script = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UserInputError(f"{path}: cannot read the seed file: {error.strerror}") from None
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(script.encode())  # bytes: no parameter parsing, several statements
    except psycopg.Error as error:
        raise UserInputError(f"{path}: seed SQL failed: {error}".strip()) from None
