"""Benchmarks of HTTP contracts: the matching engine alone, and verification against a provider.

Run `python benchmarks/contracts.py [--verify 100 1000] [--rounds 5]`; it prints its figures,
one per line. Verification compares, on the same pacts and provider, taking turns: the
`interlock contract verify` CLI with the Rust `pact verifier` CLI (pact-python-cli; both start
a process, as a CI step does), and Interlock in-process with pact-python (its Rust core through
FFI). The environment line says the CPUs, the load average and every version.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from interlock.contracts import (
    Body,
    HttpResponse,
    ResponseMatcher,
    VerifyOptions,
    parse_response,
    verify_pacts,
)
from interlock.ports import free_port, wait_for_port


def _order(n: int) -> dict[str, object]:
    return {
        "id": 1000 + n,
        "sku": f"SKU-{n:04d}",
        "name": f"Item number {n}",
        "quantity": n % 5 + 1,
        "price": 9.99 + n,
        "created": "2024-01-01T10:00:00Z",
        "tags": ["new", "sale"],
    }


def engine_case() -> tuple[ResponseMatcher, HttpResponse, int, int]:
    """A 2 KB JSON body under 20 rules, and an actual response that matches it."""
    body = {
        "order": {"id": 7, "status": "open", "customer": {"id": 12, "email": "a@example.com"}},
        "items": [_order(i) for i in range(13)],
        "total": 123.45,
        "currency": "EUR",
        "version": "1.2.3",
    }
    rules = {
        "$.order.id": [{"match": "integer"}],
        "$.order.status": [{"match": "regex", "regex": "open|closed"}],
        "$.order.customer.id": [{"match": "integer"}],
        "$.order.customer.email": [{"match": "regex", "regex": "[^@]+@[^@]+"}],
        "$.items": [{"match": "type", "min": 1}],
        "$.items[*].id": [{"match": "integer"}],
        "$.items[*].sku": [{"match": "regex", "regex": "SKU-\\d{4}"}],
        "$.items[*].name": [{"match": "type"}],
        "$.items[*].quantity": [{"match": "integer"}],
        "$.items[*].price": [{"match": "decimal"}],
        "$.items[*].created": [{"match": "datetime", "format": "yyyy-MM-dd'T'HH:mm:ssX"}],
        "$.items[*].tags": [{"match": "type", "min": 0}],
        "$.items[*].tags[*]": [{"match": "type"}],
        "$.total": [{"match": "number"}],
        "$.currency": [{"match": "regex", "regex": "[A-Z]{3}"}],
        "$.version": [{"match": "semver"}],
        "$.order": [{"match": "type"}],
        "$.order.customer": [{"match": "type"}],
        "$.items[0].id": [{"match": "integer"}],
        "$.items[0]": [{"match": "type"}],
    }
    expected = parse_response(
        {
            "status": 200,
            "headers": {"Content-Type": "application/json"},
            "body": {"contentType": "application/json", "encoded": False, "content": body},
            "matchingRules": {"body": {k: {"matchers": v} for k, v in rules.items()}},
        },
        4,
        "benchmark",
        "$",
    )
    actual_body = json.loads(json.dumps(body))
    actual_body["items"].append(_order(99))
    actual_body["order"]["id"] = 8
    actual = HttpResponse(
        200, {"Content-Type": "application/json"}, Body(True, actual_body, "application/json")
    )
    size = len(json.dumps(body).encode())
    return ResponseMatcher(expected), actual, size, len(rules)


def bench_engine(seconds: float = 2.0, rounds: int = 8) -> None:
    """Matches per second, best and median of several rounds (the machine may be shared)."""
    matcher, actual, size, rules = engine_case()
    assert not matcher.match(actual), matcher.match(actual)
    rates = []
    for _ in range(rounds):
        count = 0
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / rounds:
            for _ in range(100):
                matcher.match(actual)
            count += 100
        rates.append(count / elapsed)
    rates.sort()
    print(f"engine.body_bytes {size}")
    print(f"engine.rules {rules}")
    print(f"engine.matches_per_second.best {rates[-1]:,.0f}")
    print(f"engine.matches_per_second.median {rates[len(rates) // 2]:,.0f}")


def serve(port: int) -> None:
    """The provider of the verification benchmark (run in its own process)."""
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/items/{number}")
    def item(number: int) -> dict[str, Any]:
        return {"id": number, "name": f"item {number}", "price": 1.5 + number, "tags": ["a", "b"]}

    @app.post("/_state")
    def state() -> dict[str, Any]:
        return {}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _pact(count: int, folder: Path) -> Path:
    interactions = [
        {
            "type": "Synchronous/HTTP",
            "description": f"item {n}",
            "request": {"method": "GET", "path": f"/items/{n}"},
            "response": {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": {
                    "contentType": "application/json",
                    "content": {"id": n, "name": "x", "price": 1.5, "tags": ["a"]},
                },
                "matchingRules": {
                    "body": {
                        "$.name": {"matchers": [{"match": "type"}]},
                        "$.price": {"matchers": [{"match": "decimal"}]},
                        "$.tags": {"matchers": [{"match": "type", "min": 1}]},
                    }
                },
            },
        }
        for n in range(count)
    ]
    document = {
        "consumer": {"name": "bench-consumer"},
        "provider": {"name": "bench-provider"},
        "interactions": interactions,
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench-consumer-bench-provider.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


VERIFY_TOOLS = ("interlock CLI", "pact verifier (Rust CLI)", "interlock in-process", "pact-python")


def _versions() -> dict[str, str]:
    """The versions of everything compared, for the environment line."""
    from importlib.metadata import PackageNotFoundError, version

    from interlock import __version__

    found = {"interlock": __version__, "python": sys.version.split()[0]}
    for package in ("pact-python", "pact-python-cli"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    rust = _pact_cli()
    if rust:
        out = subprocess.run([rust, "verifier", "--version"], capture_output=True, text=True)
        first = out.stdout.splitlines()[0] if out.stdout else "?"
        found["pact verifier"] = first.split(":")[-1].strip()
    return found


def _pact_cli() -> str | None:
    """The Rust `pact` CLI that pact-python-cli installs next to this interpreter, if any."""
    beside = Path(sys.executable).parent / "pact"
    return str(beside) if beside.exists() else None


def _interlock_cli() -> list[str]:
    beside = Path(sys.executable).parent / "interlock"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "interlock"]


def _run_tool(tool: str, pact: Path, base: str, port: int) -> float | None:
    """Seconds `tool` takes to verify every interaction of `pact`; None when it is missing."""
    if tool == "interlock CLI":
        command = [*_interlock_cli(), "contract", "verify", str(pact), "--provider",
                   "bench-provider", "--base-url", base, "--format", "json"]  # fmt: skip
    elif tool == "pact verifier (Rust CLI)":
        rust = _pact_cli()
        if rust is None:
            return None
        command = [rust, "verifier", "--file", str(pact), "--hostname", "127.0.0.1", "--port",
                   str(port), "--provider-name", "bench-provider", "--loglevel", "none",
                   "--no-colour"]  # fmt: skip
    elif tool == "interlock in-process":
        start = time.perf_counter()
        report = verify_pacts([pact], VerifyOptions("bench-provider", base))
        elapsed = time.perf_counter() - start
        assert report.passed, [r for r in report.results if r.status != "passed"][:3]
        return elapsed
    else:
        try:
            from pact import Verifier
        except ImportError:
            return None
        verifier = Verifier("bench-provider", host="127.0.0.1").add_transport(url=base)
        verifier.add_source(pact)
        start = time.perf_counter()
        with _quiet_stdout():  # the Rust core prints every interaction
            verifier.verify()
        return time.perf_counter() - start
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed


def bench_verify(counts: list[int], rounds: int) -> None:
    """Every tool verifies the same pacts against one provider, in turns (the order rotating
    each round, so that a change of load hits every tool alike); medians, and their ratios."""
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    load_before = os.getloadavg()
    versions = _versions()
    print(
        f"verify.environment cpus={os.cpu_count()} load_before={load_before[0]:.2f} "
        + " ".join(f"{name}={value}" for name, value in versions.items())
    )
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as folder:
            for count in counts:
                pact = _pact(count, Path(folder) / str(count))
                times: dict[str, list[float]] = {tool: [] for tool in VERIFY_TOOLS}
                for round_ in range(rounds):
                    order = VERIFY_TOOLS[round_ % 4 :] + VERIFY_TOOLS[: round_ % 4]
                    for tool in order:
                        elapsed = _run_tool(tool, pact, base, port)
                        if elapsed is not None:
                            times[tool].append(elapsed)
                medians = {t: statistics.median(v) for t, v in times.items() if v}
                for tool in VERIFY_TOOLS:
                    if tool not in medians:
                        print(f"verify.{count}.{_key(tool)} unavailable (not installed)")
                        continue
                    print(
                        f"verify.{count}.{_key(tool)} median {medians[tool] * 1000:,.0f} ms, "
                        f"{count / medians[tool]:,.0f} interactions/s ({len(times[tool])} runs)"
                    )
                for ours, theirs in (
                    ("interlock CLI", "pact verifier (Rust CLI)"),
                    ("interlock in-process", "pact-python"),
                ):
                    if ours in medians and theirs in medians:
                        print(
                            f"verify.{count}.speed_{_key(ours)}_over_{_key(theirs)} "
                            f"{medians[theirs] / medians[ours]:.2f}x (ratio of medians)"
                        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"verify.environment load_after={os.getloadavg()[0]:.2f}")


def _key(tool: str) -> str:
    return tool.split(" (")[0].replace(" ", "_").replace("-", "_")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="time for the engine benchmark")
    parser.add_argument(
        "--verify",
        type=int,
        nargs="*",
        default=[100, 1000],
        help="interactions in each pact verified (none: skip the verify runs)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="verify runs of each tool")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    bench_engine(args.seconds)
    if args.verify:
        bench_verify(args.verify, args.rounds)


if __name__ == "__main__":
    main()
