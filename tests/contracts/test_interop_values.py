"""The values, eachKey and eachValue matchers against the reference implementation (pact-python 4).

Interlock's own body cases for these matchers (tests/contracts/cases) are made into one pact
by pact-python's DSL; pact-python's mock server and verifier, and Interlock's mock provider and
verifier, reach the same verdict on each case as the case file records.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from pact import Pact, Verifier

from interlock.contracts import VerifyOptions, load_pact, verify_pacts
from interlock.contracts.mock_provider import MockProvider

pytestmark = pytest.mark.server

CASES = Path(__file__).resolve().parent / "cases"
FOLDERS = ("values", "eachKey", "eachValue")


def _cases(version: int, kind: str) -> list[tuple[str, dict[str, Any]]]:
    root = CASES / f"version-{version}" / "testcases" / kind
    paths = sorted(p for folder in FOLDERS for p in (root / folder).glob("*.json"))
    return [(f"{p.parent.name}/{p.stem}", json.loads(p.read_text(encoding="utf-8"))) for p in paths]


def _body(part: dict[str, Any], version: int) -> Any:
    return part["body"]["content"] if version >= 4 else part["body"]


def _rules(part: dict[str, Any]) -> dict[str, Any]:
    rules: dict[str, Any] = part["matchingRules"]
    assert ["body"] == list(rules), "these cases are about bodies only"
    return rules


def _reference_pact(version: int, kind: str, cases: list[tuple[str, dict[str, Any]]]) -> Pact:
    """One interaction per case, at its own path so that each request finds its interaction."""
    pact = Pact("consumer", "provider").with_specification(f"V{version}")
    for number, (name, case) in enumerate(cases):
        expected = case["expected"]
        body = json.dumps(_body(expected, version))
        interaction = pact.upon_receiving(name)
        if kind == "request":
            interaction.with_request("POST", f"/case/{number}")
            interaction.with_body(body, "application/json", part="Request")
            interaction.with_matching_rules(_rules(expected), part="Request")
            interaction.will_respond_with(200)
        else:
            interaction.with_request("GET", f"/case/{number}")
            interaction.will_respond_with(200)
            interaction.with_body(body, "application/json", part="Response")
            interaction.with_matching_rules(_rules(expected), part="Response")
    return pact


def _send_actual_requests(
    url: str, version: int, cases: list[tuple[str, dict[str, Any]]]
) -> list[bool]:
    """Whether the mock at `url` accepted each case's actual request body."""
    verdicts = []
    for number, (_name, case) in enumerate(cases):
        response = httpx.post(
            f"{url}/case/{number}",
            content=json.dumps(_body(case["actual"], version)),
            headers={"Content-Type": "application/json"},
        )
        verdicts.append(200 == response.status_code)
    return verdicts


@contextlib.contextmanager
def _provider(version: int, cases: list[tuple[str, dict[str, Any]]]) -> Iterator[str]:
    """A real provider on 127.0.0.1 answering GET /case/N with case N's actual body."""
    bodies = [json.dumps(_body(case["actual"], version)).encode() for _name, case in cases]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies[int(self.path.rsplit("/", 1)[1])]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("version", [3, 4])
def test_request_cases_get_the_reference_verdicts(version: int, tmp_path: Path) -> None:
    """pact-python's mock server and Interlock's accept and refuse the same request bodies."""
    cases = _cases(version, "request")
    assert cases
    pact = _reference_pact(version, "request", cases)
    with pact.serve(raises=False, verbose=False) as server:
        reference = _send_actual_requests(str(server.url), version, cases)
    pact.write_file(tmp_path, overwrite=True)
    with MockProvider(load_pact(tmp_path / "consumer-provider.json")) as mock:
        interlock = _send_actual_requests(mock.url, version, cases)

    recorded = [(name, bool(case["match"])) for name, case in cases]
    assert recorded == [(name, ok) for (name, _), ok in zip(cases, reference, strict=True)]
    assert recorded == [(name, ok) for (name, _), ok in zip(cases, interlock, strict=True)]


@pytest.mark.parametrize("version", [3, 4])
def test_response_cases_get_the_reference_verdicts(version: int, tmp_path: Path) -> None:
    """pact-python's verifier and Interlock's pass and fail the same response bodies."""
    cases = _cases(version, "response")
    assert cases
    _reference_pact(version, "response", cases).write_file(tmp_path, overwrite=True)
    pact_file = tmp_path / "consumer-provider.json"
    with _provider(version, cases) as base_url:
        verifier = Verifier("provider", host="127.0.0.1").add_transport(url=base_url)
        with contextlib.suppress(RuntimeError):  # pact-python reports a failure by raising
            verifier.add_source(pact_file).verify()
        report = verify_pacts([pact_file], VerifyOptions("provider", base_url))
    reference = {
        r["description"]: r["result"] == "OK" for r in verifier.results["interactionResults"]
    }
    interlock = {r.description: r.status == "passed" for r in report.results}

    recorded = [(name, bool(case["match"])) for name, case in cases]
    assert recorded == [(name, reference[name]) for name, _ in cases]
    assert recorded == [(name, interlock[name]) for name, _ in cases]
