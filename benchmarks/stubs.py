"""Stub server throughput: `wrk -t2 -c50 -d10s --latency` against one stub returning a small JSON.

Prints requests/s, p50, p99 and the server's RSS after the run. Run: `.venv/bin/python benchmarks/stubs.py`.
Other stub servers (Mountebank, Prism, WireMock) are compared when `--others` is given and they are
installed (`mb`, `prism`, `wiremock` on PATH); each is then shown as a ratio to Interlock.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from interlock.ports import free_port, wait_for_port

BODY = {"id": 1, "name": "pen", "price": 2.5}
PACT = {
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


@dataclass
class Result:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    rss_before_mb: float
    rss_mb: float
    failed: int


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


def wrk(url: str, seconds: int) -> tuple[float, float, float, int]:
    out = subprocess.run(
        ["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = int(failed.group(1)) if failed else 0
    bad += sum(int(n) for n in errors.groups()) if errors else 0
    return rps, p50, p99, bad


def run(name: str, command: list[str], port: int, url: str, seconds: int, warm: bool) -> Result:
    # Its own process group: the npm wrappers start java/node children that must stop with it.
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_for_port(port, timeout=60)
        time.sleep(0.5)
        before = rss_mb(process.pid)
        if warm:
            wrk(url, seconds)
        rps, p50, p99, failed = wrk(url, seconds)
        return Result(name, rps, p50, p99, before, rss_mb(process.pid), failed)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--others", action="store_true", help="also Mountebank, Prism, WireMock")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="interlock-bench-"))
    pact = work / "bench-catalog.json"
    pact.write_text(json.dumps(PACT))
    interlock = str(Path(sys.executable).parent / "interlock")
    port = free_port()
    results = [
        run(
            "interlock",
            [interlock, "stub", "serve", str(pact), "--ports", str(port)],
            port,
            f"http://127.0.0.1:{port}/items/1",
            args.seconds,
            warm=False,
        )
    ]
    if args.others:
        results.extend(_others(work, args.seconds))
    base = results[0]
    print(
        f"{'server':<12} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'RSS before':>10} {'RSS after':>10} {'errors':>7} {'ratio':>7}"
    )
    for r in results:
        ratio = base.requests_per_s / r.requests_per_s if r.requests_per_s else 0.0
        print(
            f"{r.name:<12} {r.requests_per_s:>10.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{r.rss_before_mb:>9.1f}M {r.rss_mb:>9.1f}M {r.failed:>7} {ratio:>7.2f}"
        )
    print("ratio = Interlock req/s divided by that server's req/s")


def _others(work: Path, seconds: int) -> list[Result]:
    out: list[Result] = []
    if shutil.which("mb"):
        port, api = free_port(), free_port()
        imposters = work / "imposters.json"
        imposters.write_text(
            json.dumps(
                {
                    "imposters": [
                        {
                            "port": port,
                            "protocol": "http",
                            "stubs": [
                                {
                                    "predicates": [{"equals": {"path": "/items/1"}}],
                                    "responses": [{"is": {"statusCode": 200, "body": BODY}}],
                                }
                            ],
                        }
                    ]
                }
            )
        )
        command = ["mb", "--port", str(api), "--configfile", str(imposters), "--nologfile"]
        out.append(
            run("mountebank", command, port, f"http://127.0.0.1:{port}/items/1", seconds, False)
        )
    if shutil.which("prism"):
        port = free_port()
        spec = work / "openapi.json"
        spec.write_text(
            json.dumps(
                {
                    "openapi": "3.0.0",
                    "info": {"title": "catalog", "version": "1"},
                    "paths": {
                        "/items/1": {
                            "get": {
                                "responses": {
                                    "200": {
                                        "description": "ok",
                                        "content": {"application/json": {"example": BODY}},
                                    }
                                }
                            }
                        }
                    },
                }
            )
        )
        command = ["prism", "mock", str(spec), "-p", str(port), "-h", "127.0.0.1"]
        out.append(run("prism", command, port, f"http://127.0.0.1:{port}/items/1", seconds, False))
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
        command = [
            "wiremock",
            "--port",
            str(port),
            "--root-dir",
            str(work / "wm"),
            "--no-request-journal",
        ]
        out.append(
            run("wiremock", command, port, f"http://127.0.0.1:{port}/items/1", seconds, True)
        )
    return out


if __name__ == "__main__":
    main()
