"""Load test runs kept in Interlock's own database, per service, operation and commit.

SQLite under `.interlock/` by default, PostgreSQL for a team server; the schema is migration
0004 of `interlock.store`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, Row, insert, select

from interlock.perf.histogram import LatencyHistogram
from interlock.perf.model import OperationResult, PerfRun
from interlock.store import open_database, perf_operations, perf_runs


def perf_database(url: str) -> AbstractContextManager[Engine]:
    """An engine on the database at `url`, its schema brought up to date first."""
    return open_database(url)


def save_run(engine: Engine, run: PerfRun) -> int:
    """Store `run` with its operations; sets and returns its id."""
    overall = run.overall()
    with engine.begin() as connection:
        run_id: int = connection.execute(
            insert(perf_runs)
            .values(
                service=run.service,
                commit=run.commit,
                target=run.target,
                source=run.source,
                started_at=run.started_at,
                duration_s=run.duration_s,
                target_rate=run.target_rate,
                achieved_rate=run.achieved_rate,
                requests=overall.requests,
                errors=overall.errors,
                timeline=run.timeline,
                generator=run.generator,
                span_profile=run.span_profile or None,
            )
            .returning(perf_runs.c.id)
        ).scalar_one()
        rows = []
        for op in run.operations.values():
            summary = op.summary()
            rows.append(
                {
                    "run_id": run_id,
                    "operation": op.name,
                    "requests": op.requests,
                    "errors": op.errors,
                    "p50_ms": summary["p50_ms"],
                    "p95_ms": summary["p95_ms"],
                    "p99_ms": summary["p99_ms"],
                    "max_ms": summary["max_ms"],
                    "histogram": op.histogram.to_json(),
                    "service_histogram": op.service.to_json(),
                    "statuses": op.statuses,
                }
            )
        if rows:
            connection.execute(insert(perf_operations), rows)
    run.id = run_id
    return run_id


def _run(row: Row[Any], operations: list[Row[Any]]) -> PerfRun:
    started = row.started_at if row.started_at.tzinfo else row.started_at.replace(tzinfo=UTC)
    return PerfRun(
        service=row.service,
        commit=row.commit,
        target=row.target,
        started_at=started,
        duration_s=row.duration_s,
        target_rate=row.target_rate,
        operations={
            op.operation: OperationResult(
                op.operation,
                op.requests,
                op.errors,
                LatencyHistogram.from_json(op.histogram),
                LatencyHistogram.from_json(op.service_histogram),
                dict(op.statuses),
            )
            for op in operations
        },
        timeline=list(row.timeline),
        generator=dict(row.generator),
        source=row.source,
        id=row.id,
        span_profile=dict(row.span_profile or {}),
    )


def _load(engine: Engine, condition: Any, limit: int | None = None) -> list[PerfRun]:
    query = select(perf_runs).where(condition).order_by(perf_runs.c.started_at.desc())
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        ids = [row.id for row in rows]
        ops: dict[int, list[Row[Any]]] = {i: [] for i in ids}
        if ids:
            found = select(perf_operations).where(perf_operations.c.run_id.in_(ids))
            for op in connection.execute(found.order_by(perf_operations.c.id)):
                ops[op.run_id].append(op)
    return [_run(row, ops[row.id]) for row in rows]


def runs_at(engine: Engine, service: str, commit: str) -> list[PerfRun]:
    """Every run of `service` at `commit`, newest first."""
    return _load(engine, (perf_runs.c.service == service) & (perf_runs.c.commit == commit))


def recent_runs(engine: Engine, service: str | None = None, limit: int = 50) -> list[PerfRun]:
    """The newest runs, of one service or of all."""
    condition = perf_runs.c.service == service if service else perf_runs.c.id.isnot(None)
    return _load(engine, condition, limit)


def get_run(engine: Engine, run_id: int) -> PerfRun | None:
    found = _load(engine, perf_runs.c.id == run_id)
    return found[0] if found else None


def stored_commits(engine: Engine, service: str) -> list[str]:
    """The commits `service` has runs at, newest run first."""
    query = (
        select(perf_runs.c.commit, perf_runs.c.started_at)
        .where(perf_runs.c.service == service)
        .order_by(perf_runs.c.started_at.desc())
    )
    with engine.connect() as connection:
        return list(dict.fromkeys(row.commit for row in connection.execute(query)))


def stored_services(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(perf_runs.c.service).distinct().order_by(perf_runs.c.service)
        )
        return [row.service for row in rows]
