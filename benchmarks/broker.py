"""Broker speed at scale: /matrix, /can-i-deploy and for-verification latency, and the
publishing rate, on SQLite and on PostgreSQL.

Run: `.venv/bin/python benchmarks/broker.py [--scale 1.0] [--requests 200] [--engines sqlite,postgresql]`.
The broker is loaded with 200 pacticipants, 20,000 versions, 50,000 verifications and
5 environments (times --scale), then asked over HTTP by a real `interlock server` (uvicorn
on 127.0.0.1). Prints p50/p95 of each question beside its goal; exit 1 on any MISS.
The Ruby Pact Broker is not installed from any registry this project uses, so it is not
measured beside Interlock.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import Engine, insert

from interlock.broker.pacts import content_sha
from interlock.ports import free_port, wait_for_port
from interlock.server import create_app
from interlock.settings import load_settings
from interlock.store import create_engine_for, upgrade_database
from interlock.store.broker_schema import (
    broker_branch_versions,
    broker_branches,
    broker_contents,
    broker_deployments,
    broker_environments,
    broker_pacticipants,
    broker_publications,
    broker_verifications,
    broker_versions,
)

GOALS_MS = {
    "matrix": 50.0,
    "matrix (pair)": 50.0,
    "can-i-deploy": 50.0,
    "for-verification": 100.0,
}
GOAL_PUBLISH_PER_S = 100.0
ENVIRONMENTS = ("production", "staging", "test", "qa", "dev")
CONSUMES = (1, 7)
"""Pacticipant i consumes pacticipants i+1 and i+7 (mod the count): two pacts per version."""
CONTENT_EVERY = 5
"""A consumer's pact with a provider changes every this many versions."""


def name(index: int) -> str:
    return f"service-{index:03d}"


def pact(consumer: str, provider: str, revision: int) -> dict[str, Any]:
    """A small v3 pact whose content is fixed by (consumer, provider, revision)."""
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [
            {
                "description": f"a request for item {revision}",
                "providerStates": [{"name": "an item exists"}],
                "request": {"method": "GET", "path": f"/items/{revision}"},
                "response": {"status": 200, "body": {"id": revision, "owner": consumer}},
            }
        ],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }


def _rows(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(table), rows[start : start + 5000])


def load(engine: Engine, pacticipants: int, versions: int, verifications: int) -> dict[str, int]:
    """Fill the broker's tables directly (ids assigned here), as years of CI would have."""
    random.seed(7)
    start = datetime.now(UTC) - timedelta(days=365)
    per = max(1, versions // pacticipants)
    _rows(engine, broker_pacticipants, [
        {"id": p + 1, "name": name(p), "main_branch": "main", "created_at": start}
        for p in range(pacticipants)
    ])  # fmt: skip
    _rows(engine, broker_branches, [
        {"id": p + 1, "pacticipant_id": p + 1, "name": "main", "created_at": start}
        for p in range(pacticipants)
    ])  # fmt: skip
    version_rows, branch_rows = [], []
    version_id = {}
    for n in range(per):  # interleaved, as CI runs of many teams are
        for p in range(pacticipants):
            vid = len(version_rows) + 1
            version_id[(p, n)] = vid
            moment = start + timedelta(minutes=vid)
            version_rows.append({"id": vid, "pacticipant_id": p + 1, "number": f"1.{n}.0",
                                 "created_at": moment})  # fmt: skip
            branch_rows.append({"branch_id": p + 1, "version_id": vid, "created_at": moment})
    _rows(engine, broker_versions, version_rows)
    _rows(engine, broker_branch_versions, branch_rows)
    contents, publications = [], []
    content_id: dict[tuple[int, int, int], int] = {}
    for p in range(pacticipants):
        for step in CONSUMES:
            provider = (p + step) % pacticipants
            for n in range(per):
                revision = n // CONTENT_EVERY
                key = (p, provider, revision)
                if key not in content_id:
                    document = pact(name(p), name(provider), revision)
                    content_id[key] = len(contents) + 1
                    contents.append({"id": content_id[key], "sha": content_sha(document),
                                     "specification": "pact", "content": json.dumps(document),
                                     "created_at": start})  # fmt: skip
                publications.append({"consumer_version_id": version_id[(p, n)],
                                     "consumer_id": p + 1, "provider_id": provider + 1,
                                     "content_id": content_id[key], "specification": "pact",
                                     "created_at": start})  # fmt: skip
    _rows(engine, broker_contents, contents)
    _rows(engine, broker_publications, publications)
    verification_rows = []
    keys = list(content_id)
    while len(verification_rows) < verifications:
        p, provider, revision = keys[len(verification_rows) % len(keys)]
        n = min(per - 1, revision * CONTENT_EVERY + random.randrange(CONTENT_EVERY * 2))
        verification_rows.append({"content_id": content_id[(p, provider, revision)],
                                  "provider_version_id": version_id[(provider, n)],
                                  "success": random.random() > 0.05,
                                  "created_at": start + timedelta(minutes=len(verification_rows))})  # fmt: skip
    _rows(engine, broker_verifications, verification_rows)
    _rows(engine, broker_environments, [
        {"id": e + 1, "uuid": str(uuid.uuid4()), "name": env, "production": env == "production",
         "created_at": start}
        for e, env in enumerate(ENVIRONMENTS)
    ])  # fmt: skip
    deployments = []
    for e in range(len(ENVIRONMENTS)):
        for p in range(pacticipants):
            n = max(0, per - 1 - e * 3 - random.randrange(3))
            deployments.append({"uuid": str(uuid.uuid4()), "kind": "deployed",
                                "version_id": version_id[(p, n)], "pacticipant_id": p + 1,
                                "environment_id": e + 1, "current": True, "created_at": start})  # fmt: skip
    _rows(engine, broker_deployments, deployments)
    if engine.dialect.name == "postgresql":  # ids were given: move the sequences past them
        with engine.begin() as connection:
            for table in (broker_pacticipants, broker_branches, broker_versions,
                          broker_branch_versions, broker_contents, broker_publications,
                          broker_verifications, broker_environments, broker_deployments):  # fmt: skip
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
    # what a broker that has been running for a while has done by itself: statistics gathered
    # (autovacuum), the load's write-ahead log checkpointed (SQLite)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "pacticipants": pacticipants,
        "versions": len(version_rows),
        "contents": len(contents),
        "publications": len(publications),
        "verifications": len(verification_rows),
        "environments": len(ENVIRONMENTS),
        "deployments": len(deployments),
    }


@contextmanager
def serve(database_url: str, folder: Path) -> Iterator[str]:
    """`interlock server` on a free port over `database_url`; its broker URL."""
    port = free_port()
    catalog = folder / "catalog"
    catalog.mkdir(parents=True, exist_ok=True)
    settings = load_settings(catalog_dir=catalog, data_dir=folder / "data", port=port,
                             database_url=database_url, environ={}, cwd=folder)  # fmt: skip
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}/broker"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def timed(client: httpx.Client, requests: int, make: Callable[[int], str]) -> list[float]:
    """Milliseconds of each GET (each must answer 200)."""
    timings = []
    for i in range(requests):
        url = make(i)
        started = time.perf_counter()
        reply = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        if reply.status_code != 200:
            raise SystemExit(f"GET {url} answered {reply.status_code}: {reply.text[:300]}")
    return timings


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[18]


def measure(url: str, pacticipants: int, per: int, requests: int) -> dict[str, Any]:
    """Latency of the three questions, and the publishing rate."""
    rng = random.Random(11)
    figures: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=60) as client:

        def matrix(i: int) -> str:
            # a version against everything: what `describe-version` and the UI ask
            p = rng.randrange(pacticipants)
            version = f"1.{rng.randrange(per)}.0"
            return f"/matrix?q[][pacticipant]={name(p)}&q[][version]={version}&latestby=cvp"

        def pair(i: int) -> str:
            # a version against every version of one partner (up to `per` rows)
            p = rng.randrange(pacticipants)
            version = f"1.{rng.randrange(per)}.0"
            return (f"/matrix?q[][pacticipant]={name(p)}&q[][version]={version}"
                    f"&q[][pacticipant]={name((p + 1) % pacticipants)}&latestby=cvpv")  # fmt: skip

        def can_i_deploy(i: int) -> str:
            p = rng.randrange(pacticipants)
            return (f"/can-i-deploy?pacticipant={name(p)}&version=1.{rng.randrange(per)}.0"
                    f"&environment={ENVIRONMENTS[i % len(ENVIRONMENTS)]}")  # fmt: skip

        timed(client, 5, matrix)  # warm up: connections, caches
        figures["matrix"] = timed(client, requests, matrix)
        figures["matrix (pair)"] = timed(client, requests, pair)
        figures["can-i-deploy"] = timed(client, requests, can_i_deploy)
        for_verification = []
        for _ in range(requests):
            provider = name(rng.randrange(pacticipants))
            body = {"consumerVersionSelectors": [{"mainBranch": True}, {"deployedOrReleased": True}],
                    "includePendingStatus": True, "providerVersionBranch": "main"}  # fmt: skip
            started = time.perf_counter()
            reply = client.post(f"/pacts/provider/{provider}/for-verification", json=body)
            for_verification.append((time.perf_counter() - started) * 1000)
            if reply.status_code != 200:
                raise SystemExit(f"for-verification answered {reply.status_code}: {reply.text}")
        figures["for-verification"] = for_verification
        published, started = 0, time.perf_counter()
        for i in range(-20, requests):  # the first 20 warm up and are not counted
            if i == 0:
                published, started = 0, time.perf_counter()
            p = rng.randrange(pacticipants)
            contracts = [
                {"consumerName": name(p), "providerName": name((p + step) % pacticipants),
                 "specification": "pact", "contentType": "application/json",
                 "content": base64.b64encode(json.dumps(
                     pact(name(p), name((p + step) % pacticipants), 20_000 + i)).encode()).decode()}
                for step in CONSUMES
            ]  # fmt: skip
            body = {"pacticipantName": name(p), "pacticipantVersionNumber": f"2.{i + 20}.0",
                    "branch": "main", "contracts": contracts}  # fmt: skip
            reply = client.post("/contracts/publish", json=body)
            if reply.status_code != 200:
                raise SystemExit(f"publish answered {reply.status_code}: {reply.text}")
            published += len(contracts)
        figures["publish_per_s"] = published / (time.perf_counter() - started)
    return figures


def run(engine_name: str, args: argparse.Namespace, folder: Path) -> bool:
    pacticipants = max(10, int(200 * args.scale))
    versions = max(pacticipants, int(20_000 * args.scale))
    verifications = int(50_000 * args.scale)
    instance = None
    if engine_name == "postgresql":
        from interlock.envs import start_postgres

        instance = start_postgres()
        url = instance.create_database("broker_bench")
    else:
        url = f"sqlite:///{folder / 'broker.db'}"
    try:
        upgrade_database(url)
        engine = create_engine_for(url)
        started = time.perf_counter()
        counts = load(engine, pacticipants, versions, verifications)
        engine.dispose()
        print(f"\n{engine_name}: loaded {counts} in {time.perf_counter() - started:.1f} s")
        with serve(url, folder / engine_name) as broker:
            figures = measure(broker, pacticipants, versions // pacticipants, args.requests)
    finally:
        if instance is not None:
            instance.stop()
    ok = True
    for question, goal in GOALS_MS.items():
        timings = figures[question]
        verdict = "PASS" if p95(timings) <= goal else "MISS"
        ok &= verdict == "PASS"
        print(f"  {question:17} p50 {statistics.median(timings):6.1f} ms  "
              f"p95 {p95(timings):6.1f} ms  (goal p95 <= {goal:.0f} ms)  {verdict}")  # fmt: skip
    rate = figures["publish_per_s"]
    verdict = "PASS" if rate >= GOAL_PUBLISH_PER_S else "MISS"
    ok &= verdict == "PASS"
    print(f"  publishing        {rate:6.0f} pacts/s  (goal >= {GOAL_PUBLISH_PER_S:.0f})  {verdict}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 200 pacticipants, 20,000 versions, 50,000 verifications")  # fmt: skip
    parser.add_argument("--requests", type=int, default=200, help="requests per question")
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    print(__doc__.strip().splitlines()[-2] + " " + __doc__.strip().splitlines()[-1])
    ok = True
    with tempfile.TemporaryDirectory(prefix="interlock-broker-bench-") as folder:
        for engine_name in args.engines.split(","):
            ok &= run(engine_name.strip(), args, Path(folder))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
