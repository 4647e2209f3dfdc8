"""Stub server throughput: the same `wrk -t2 -c50 -d<s>s --latency` against each server, alternated.

Run: `.venv/bin/python benchmarks/stubs.py [--case one|rules] [--seconds 10] [--rounds 5]`.
Two cases: `one`, one interaction returning a small JSON (what most stub benchmarks measure), and
`rules`, eight pacts of five interactions each whose paths, queries and headers carry matching
rules, so every request is matched against forty candidates that mostly lose.

Peers: the Rust Pact stub server (`pact stub` from pact-python-cli, or `pact-stub-server` on PATH),
the fairest peer since it serves the same pact files; with `--others` also Mountebank, Prism and
WireMock when installed (`mb`, `prism`, `wiremock` on PATH; `one` case only).
Every server is started once and warmed alike: wrk runs until its throughput stops rising (within
5% of the run before, at least two runs); a JIT needs that (WireMock climbs for about a minute), so
each server's first minute is reported beside its plateau. Then the servers take turns, one wrk
run each per round; the table shows medians, the 1-minute load average at each run, the RSS after
warm-up and at the end (flat means no growth under load), and Interlock's median over each peer's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.ports import free_port, wait_for_port

BODY = {"id": 1, "name": "pen", "price": 2.5}
PACT: dict[str, Any] = {
    "consumer": {"name": "bench"},
    "provider": {"name": "catalog"},
    "metadata": {"pactSpecification": {"version": "4.0"}},
    "interactions": [
        {
            "type": "Synchronous/HTTP",
            "description": "get item 1",
            "request": {"method": "GET", "path": "/items/1"},
            "response": {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": {"content": BODY, "contentType": "application/json"},
            },
        }
    ],
}
RULES_PATH = "/shop7/items/42?view=full&page=3"
"""The `rules` case's request: matched by interaction 4 of pact 7, refused by the other 39."""


def rules_pact(shop: int) -> dict[str, Any]:
    """One of eight pacts: five interactions under `/shop<n>/...` with path, query, header rules."""
    interactions = []
    for kind in range(5):
        interactions.append(
            {
                "type": "Synchronous/HTTP",
                "description": f"shop {shop} listing {kind}",
                "request": {
                    "method": "GET",
                    "path": f"/shop{shop}/items/{kind + 1}",
                    "query": {"view": ["full" if kind == 4 else f"v{kind}"], "page": ["1"]},
                    "headers": {"Accept": "application/json"},
                    "matchingRules": {
                        "path": {
                            "combine": "AND",
                            "matchers": [
                                {"match": "regex", "regex": f"^/shop{shop}/items/[0-9]+$"}
                            ],
                        },
                        "query": {
                            "view": {
                                "matchers": [
                                    {"match": "regex", "regex": "full" if kind == 4 else f"v{kind}"}
                                ]
                            },
                            "page": {"matchers": [{"match": "regex", "regex": "^[0-9]+$"}]},
                        },
                        "header": {
                            "Accept": {"matchers": [{"match": "regex", "regex": "application/.*"}]}
                        },
                    },
                },
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": {
                        "content": {"shop": shop, "kind": kind, "items": [BODY] * 3},
                        "contentType": "application/json",
                    },
                },
            }
        )
    return {
        "consumer": {"name": "bench"},
        "provider": {"name": "catalog"},
        "metadata": {"pactSpecification": {"version": "4.0"}},
        "interactions": interactions,
    }


@dataclass
class Sample:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    load: float


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    url: str
    process: subprocess.Popen[bytes] | None = None
    warm: list[Sample] = field(default_factory=list)
    rounds: list[Sample] = field(default_factory=list)
    rss_warm_mb: float = 0.0
    rss_end_mb: float = 0.0


def _ms(text: str) -> float:
    """wrk's latency text (`812.00us`, `1.68ms`, `2.01s`, `1.05m`) in milliseconds."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise ValueError(f"unexpected latency from wrk: {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (npx/java wrappers), in MB."""
    total = 0
    pids = [pid]
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    pids += [int(p) for p in children.split()]
    for each in pids:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(found.group(1)) if found else 0
    return total / 1024


def wrk(url: str, seconds: int, headers: list[str]) -> Sample:
    load = os.getloadavg()[0]
    command = ["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", url]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = int(failed.group(1)) if failed else 0
    bad += sum(int(n) for n in errors.groups()) if errors else 0
    return Sample(rps, p50, p99, bad, load)


def start(server: Server) -> None:
    # Its own process group: the npm wrappers start java/node children that must stop with it.
    server.process = subprocess.Popen(
        server.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    wait_for_port(server.port, timeout=60)


def stop(server: Server) -> None:
    if server.process is None:
        return
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


def warm_up(server: Server, seconds: int, headers: list[str], limit_s: int) -> None:
    """wrk until the throughput stops rising (at least two runs, at most `limit_s` seconds)."""
    while True:
        server.warm.append(wrk(server.url, seconds, headers))
        runs = server.warm
        if len(runs) >= 2 and runs[-1].requests_per_s <= runs[-2].requests_per_s * 1.05:
            break
        if len(runs) * seconds >= limit_s:
            break
    assert server.process is not None
    server.rss_warm_mb = rss_mb(server.process.pid)


def pact_stub_command() -> list[str] | None:
    """The Rust Pact stub server: pact-python-cli's `pact stub`, or `pact-stub-server`."""
    beside = Path(sys.executable).parent / "pact"
    if beside.exists():
        return [str(beside), "stub"]
    if shutil.which("pact-stub-server"):
        return ["pact-stub-server"]
    if shutil.which("pact"):
        return ["pact", "stub"]
    return None


def servers_for(case: str, work: Path, others: bool) -> tuple[list[Server], str, list[str]]:
    """The servers to compare, the request path and the headers wrk sends."""
    pacts = work / "pacts"
    pacts.mkdir()
    if case == "one":
        (pacts / "bench-catalog.json").write_text(json.dumps(PACT))
        path, headers = "/items/1", []
    else:
        for shop in range(8):
            (pacts / f"bench-shop{shop}.json").write_text(json.dumps(rules_pact(shop)))
        path, headers = RULES_PATH, ["Accept: application/json"]
    interlock = str(Path(sys.executable).parent / "interlock")
    port = free_port()
    servers = [
        Server(
            "interlock",
            [interlock, "stub", "serve", str(pacts), "--ports", str(port)],
            port,
            f"http://127.0.0.1:{port}{path}",
        )
    ]
    rust = pact_stub_command()
    if rust is not None:
        port = free_port()
        servers.append(
            Server(
                "pact-stub (rust)",
                [*rust, "-d", str(pacts), "-p", str(port)],
                port,
                f"http://127.0.0.1:{port}{path}",
            )
        )
    else:
        print("the Rust Pact stub server is not installed (pip install pact-python-cli)")
    if others and case == "one":
        servers.extend(_others(work))
    return servers, path, headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=("one", "rules"), default="one")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="alternated runs per server")
    parser.add_argument("--warm-limit", type=int, default=150, help="seconds of warm-up at most")
    parser.add_argument("--others", action="store_true", help="also Mountebank, Prism, WireMock")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="interlock-bench-"))
    servers, path, headers = servers_for(args.case, work, args.others)
    print(
        f"case {args.case}: GET {path}; wrk -t2 -c50 -d{args.seconds}s; {os.cpu_count()} CPUs; "
        f"Python {sys.version.split()[0]}"
    )
    try:
        for server in servers:
            start(server)
        for server in servers:
            warm_up(server, args.seconds, headers, args.warm_limit)
            print(f"warm-up {server.name}: " + _series(server.warm))
        for number in range(args.rounds):
            for server in servers if number % 2 == 0 else reversed(servers):
                server.rounds.append(wrk(server.url, args.seconds, headers))
            print(f"round {number + 1}: " + "  ".join(_line(s) for s in servers))
        for server in servers:
            assert server.process is not None
            server.rss_end_mb = rss_mb(server.process.pid)
    finally:
        for server in servers:
            stop(server)
    _report(servers, args.seconds)


def _series(samples: list[Sample]) -> str:
    return ", ".join(f"{s.requests_per_s:,.0f} (load {s.load:.1f})" for s in samples)


def _line(server: Server) -> str:
    last = server.rounds[-1]
    return f"{server.name} {last.requests_per_s:,.0f} req/s (load {last.load:.1f})"


def _report(servers: list[Server], seconds: int) -> None:
    base = statistics.median(s.requests_per_s for s in servers[0].rounds)
    print(
        f"\n{'server':<18} {'first min':>10} {'median':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'load':>9} {'RSS warm':>9} {'RSS end':>8} {'errors':>6} {'ratio':>6}"
    )
    for server in servers:
        rounds = server.rounds
        median = statistics.median(s.requests_per_s for s in rounds)
        first = server.warm[: max(1, 60 // seconds)]
        loads = [s.load for s in rounds]
        print(
            f"{server.name:<18} {statistics.mean(s.requests_per_s for s in first):>10,.0f} "
            f"{median:>9,.0f} {statistics.median(s.p50_ms for s in rounds):>7.2f} "
            f"{statistics.median(s.p99_ms for s in rounds):>7.2f} "
            f"{min(loads):>4.1f}-{max(loads):<4.1f} {server.rss_warm_mb:>8.1f}M "
            f"{server.rss_end_mb:>7.1f}M {sum(s.errors for s in rounds):>6} {base / median:>6.2f}"
        )
    print(
        "median: of the alternated rounds after warm-up; first min: mean of the warm-up runs in "
        "the first minute; load: 1-minute load average at the rounds; ratio: Interlock's median "
        "req/s over that server's"
    )


def _others(work: Path) -> list[Server]:
    out: list[Server] = []
    if shutil.which("mb"):
        port, api = free_port(), free_port()
        imposters = work / "imposters.json"
        stub = {
            "predicates": [{"equals": {"path": "/items/1"}}],
            "responses": [{"is": {"statusCode": 200, "body": BODY}}],
        }
        imposters.write_text(
            json.dumps({"imposters": [{"port": port, "protocol": "http", "stubs": [stub]}]})
        )
        command = ["mb", "--port", str(api), "--configfile", str(imposters), "--nologfile"]
        out.append(Server("mountebank", command, port, f"http://127.0.0.1:{port}/items/1"))
    if shutil.which("prism"):
        port = free_port()
        spec = work / "openapi.json"
        ok = {"description": "ok", "content": {"application/json": {"example": BODY}}}
        spec.write_text(
            json.dumps(
                {
                    "openapi": "3.0.0",
                    "info": {"title": "catalog", "version": "1"},
                    "paths": {"/items/1": {"get": {"responses": {"200": ok}}}},
                }
            )
        )
        command = ["prism", "mock", str(spec), "-p", str(port), "-h", "127.0.0.1"]
        out.append(Server("prism", command, port, f"http://127.0.0.1:{port}/items/1"))
    if shutil.which("wiremock"):
        port = free_port()
        mappings = work / "wm" / "mappings"
        mappings.mkdir(parents=True)
        (mappings / "item.json").write_text(
            json.dumps(
                {
                    "request": {"method": "GET", "url": "/items/1"},
                    "response": {"status": 200, "jsonBody": BODY},
                }
            )
        )
        command = ["wiremock", "--port", str(port), "--root-dir", str(work / "wm")]
        command.append("--no-request-journal")
        out.append(Server("wiremock", command, port, f"http://127.0.0.1:{port}/items/1"))
    return out


if __name__ == "__main__":
    main()
