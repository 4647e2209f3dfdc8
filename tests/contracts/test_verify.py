"""`interlock contract verify` against a real provider: states, matching, reports and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from interlock.cli.main import app
from interlock.contracts import ProducedMessage, VerifyOptions, verify_pacts
from interlock.errors import UserInputError
from interlock.ports import free_port

runner = CliRunner()
pytestmark = pytest.mark.server


def _interaction(
    description: str, request: dict[str, Any], response: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "type": "Synchronous/HTTP",
        "description": description,
        "request": request,
        "response": response,
        **extra,
    }


def _write(tmp_path: Path, *interactions: dict[str, Any], provider: str = "orders") -> Path:
    path = tmp_path / "pacts" / f"web-{provider}.json"
    path.parent.mkdir(exist_ok=True)
    document = {
        "consumer": {"name": "web"},
        "provider": {"name": provider},
        "interactions": list(interactions),
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


ORDER_STATE = [{"name": "an order exists", "params": {"id": 42}}]
GET_ORDER = _interaction(
    "a request for an order",
    {
        "method": "GET",
        "path": "/orders/1",
        "generators": {"path": {"type": "ProviderState", "expression": "/orders/${orderId}"}},
    },
    {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": {
            "contentType": "application/json",
            "content": {"id": 1, "status": "open", "total": 1.5},
        },
        "matchingRules": {
            "body": {
                "$.id": {"matchers": [{"match": "integer"}]},
                "$.status": {"matchers": [{"match": "regex", "regex": "open|closed"}]},
                "$.total": {"matchers": [{"match": "decimal"}]},
            }
        },
    },
    providerStates=ORDER_STATE,
)
CREATE_ORDER = _interaction(
    "an order is created",
    {
        "method": "POST",
        "path": "/orders",
        "headers": {"Content-Type": "application/json"},
        "body": {"contentType": "application/json", "content": {"items": ["A-1"]}},
    },
    {
        "status": 201,
        "body": {
            "contentType": "application/json",
            "content": {"id": 5, "items": ["A-1"], "status": "new"},
        },
        "matchingRules": {"body": {"$.id": {"matchers": [{"match": "integer"}]}}},
    },
)


def test_passing_pact_exits_0_and_runs_state_setup_and_teardown(
    provider: Any, tmp_path: Path
) -> None:
    """The state endpoint gets setup then teardown, with the pact's params; the path comes from the state."""
    pact = _write(tmp_path, GET_ORDER, CREATE_ORDER)
    result = runner.invoke(
        app,
        [
            "contract",
            "verify",
            str(pact),
            "--provider",
            "orders",
            "--base-url",
            provider.base_url,
            "--state-url",
            provider.state_url,
        ],
    )
    assert 0 == result.exit_code, result.output
    assert "PASS a request for an order" in result.output
    assert "2 interaction(s): 2 passed" in result.output
    calls = [(c["state"], c["params"], c["action"]) for c in provider.record.state_calls]
    expected = [
        ("an order exists", {"id": 42}, "setup"),
        ("an order exists", {"id": 42}, "teardown"),
    ]
    assert expected == calls


def test_mismatch_exits_1_and_says_where_what_was_expected_and_what_came(
    provider: Any, tmp_path: Path
) -> None:
    wrong = json.loads(json.dumps(CREATE_ORDER))
    wrong["response"]["body"]["content"]["status"] = "accepted"
    wrong["response"]["body"]["content"]["currency"] = "EUR"
    pact = _write(tmp_path, wrong)
    result = runner.invoke(
        app,
        ["contract", "verify", str(pact), "--provider", "orders", "--base-url", provider.base_url],
    )
    assert 1 == result.exit_code, result.output
    assert 'body $.status: expected "accepted", found "new"' in result.output
    assert "body $: expected the key 'currency', but it is missing" in result.output


def test_json_report_lists_each_interaction_with_its_mismatches(
    provider: Any, tmp_path: Path
) -> None:
    wrong = json.loads(json.dumps(CREATE_ORDER))
    wrong["response"]["status"] = 200
    pact = _write(tmp_path, wrong, GET_ORDER)
    result = runner.invoke(
        app,
        [
            "contract",
            "verify",
            str(tmp_path / "pacts"),
            "--provider",
            "orders",
            "--base-url",
            provider.base_url,
            "--state-url",
            provider.state_url,
            "--format",
            "json",
        ],
    )
    assert 1 == result.exit_code
    report = json.loads(result.output)
    assert {"passed": 1, "failed": 1, "error": 0, "skipped": 0} == report["summary"]
    failed = report["interactions"][0]
    assert str(pact) == failed["pact"]
    assert [
        {
            "category": "status",
            "path": "",
            "expected": "200",
            "actual": "201",
            "message": "expected status 200, found 201",
        }
    ] == failed["mismatches"]


def test_junit_report_has_a_failure_per_failing_interaction(provider: Any, tmp_path: Path) -> None:
    wrong = json.loads(json.dumps(CREATE_ORDER))
    wrong["response"]["status"] = 202
    pact = _write(tmp_path, wrong, GET_ORDER)
    result = runner.invoke(
        app,
        [
            "contract",
            "verify",
            str(pact),
            "--provider",
            "orders",
            "--base-url",
            provider.base_url,
            "--state-url",
            provider.state_url,
            "--format",
            "junit",
        ],
    )
    assert 1 == result.exit_code
    suite = ET.fromstring(result.output).find("testsuite")
    assert suite is not None
    assert ("2", "1") == (suite.get("tests"), suite.get("failures"))
    failure = suite.find("testcase[@name='an order is created']/failure")
    assert failure is not None
    assert "expected status 202, found 201" in (failure.text or "")


def test_filter_and_extra_headers(provider: Any, tmp_path: Path) -> None:
    """--filter keeps matching descriptions; --header reaches the provider."""
    health = _interaction(
        "the health check",
        {"method": "GET", "path": "/health"},
        {
            "status": 200,
            "body": {
                "contentType": "application/json",
                "content": {"status": "up", "token": "Bearer t0k"},
            },
        },
    )
    pact = _write(tmp_path, health, CREATE_ORDER)
    options = VerifyOptions(
        "orders",
        provider.base_url,
        headers=(("Authorization", "Bearer t0k"),),
        description_filter="^the health",
    )
    report = verify_pacts([pact], options)
    assert [("the health check", "passed")] == [(r.description, r.status) for r in report.results]


def test_interactions_sharing_a_state_never_run_at_once(provider: Any, tmp_path: Path) -> None:
    """With --jobs 4, eight interactions under one state still meet it one at a time."""
    slow = [
        _interaction(
            f"slow call {n}",
            {"method": "GET", "path": "/slow"},
            {"status": 200, "body": {"contentType": "text/plain", "content": "ok"}},
            providerStates=[{"name": "the shared state"}],
        )
        for n in range(8)
    ]
    free = [
        _interaction(f"free call {n}", {"method": "GET", "path": "/slow"}, {"status": 200})
        for n in range(4)
    ]
    pact = _write(tmp_path, *slow, *free)
    options = VerifyOptions("orders", provider.base_url, provider.state_url, jobs=4)
    report = verify_pacts([pact], options)
    assert report.passed
    assert 1 == provider.record.most_at_once["the shared state"]
    assert 16 == len(provider.record.state_calls)


INTERLOCK = Path(sys.executable).parent / "interlock"


def _verify(pact: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`interlock contract verify` as a user runs it: the installed command, in a subprocess."""
    return subprocess.run(
        [str(INTERLOCK), "contract", "verify", str(pact), "--provider", "orders", *options],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--base-url", "not-a-url"), ("--state-url", "localhost:8000"), ("--base-url", "ftp://x")],
)
def test_url_that_is_not_http_exits_2_before_anything_runs(
    flag: str, value: str, provider: Any, tmp_path: Path
) -> None:
    """One line naming the flag and the value; no provider state was set up, nothing was sent."""
    pact = _write(tmp_path, GET_ORDER, CREATE_ORDER)
    urls = {"--base-url": provider.base_url, "--state-url": provider.state_url, flag: value}
    done = _verify(pact, *(item for pair in urls.items() for item in pair))
    assert 2 == done.returncode, done.stdout
    assert [f"error: {flag}: expected an http(s) URL, found {value!r}"] == done.stderr.splitlines()
    assert "" == done.stdout
    assert [] == provider.record.state_calls


def test_nothing_answering_at_the_base_url_is_one_error_not_one_per_interaction(
    tmp_path: Path,
) -> None:
    """Exit 2 with one line naming the URL and the reason, before any interaction runs."""
    url = f"http://127.0.0.1:{free_port()}"
    pact = _write(tmp_path, GET_ORDER, CREATE_ORDER)
    done = _verify(pact, "--base-url", f"{url}/api")
    assert 2 == done.returncode, done.stdout
    expected = f"error: --base-url: nothing answers at {url} (connection refused)"
    assert [expected] == done.stderr.splitlines()
    assert "" == done.stdout


def test_nothing_answering_at_the_state_url_is_one_error(provider: Any, tmp_path: Path) -> None:
    """The provider answers but its state endpoint does not: one error, not one per interaction."""
    url = f"http://127.0.0.1:{free_port()}"
    pact = _write(tmp_path, GET_ORDER, CREATE_ORDER)
    done = _verify(pact, "--base-url", provider.base_url, "--state-url", f"{url}/_pact/state")
    assert 2 == done.returncode, done.stdout
    expected = f"error: --state-url: nothing answers at {url} (connection refused)"
    assert [expected] == done.stderr.splitlines()
    assert "" == done.stdout


def test_verify_pacts_raises_when_nothing_answers(tmp_path: Path) -> None:
    """From Python too, the unreachable provider is one UserInputError rather than a report."""
    url = f"http://127.0.0.1:{free_port()}"
    pact = _write(tmp_path, CREATE_ORDER)
    with pytest.raises(UserInputError, match=r"nothing answers at .*\(connection refused\)$"):
        verify_pacts([pact], VerifyOptions("orders", url))


def test_pending_failures_do_not_fail_the_run(provider: Any, tmp_path: Path) -> None:
    wrong = json.loads(json.dumps(CREATE_ORDER))
    wrong["response"]["status"] = 418
    wrong["pending"] = True
    pact = _write(tmp_path, wrong)
    report = verify_pacts([pact], VerifyOptions("orders", provider.base_url))
    assert "failed" == report.results[0].status
    assert report.passed


def test_bad_pact_exits_2_with_file_and_json_path(tmp_path: Path) -> None:
    broken = _interaction("x", {"method": "GET", "path": 12}, {"status": 200})
    pact = _write(tmp_path, broken)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "interlock",
            "contract",
            "verify",
            str(pact),
            "--provider",
            "orders",
            "--base-url",
            "http://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 2 == done.returncode
    assert (
        f"{pact}:$.interactions[0].request.path: expected a string, found a number"
        in done.stderr.replace("\n", "")
    )
    assert "Traceback" not in done.stderr


def test_no_pact_for_the_provider_is_a_usage_error(tmp_path: Path) -> None:
    pact = _write(tmp_path, CREATE_ORDER, provider="payments")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "interlock",
            "contract",
            "verify",
            str(pact),
            "--provider",
            "orders",
            "--base-url",
            "http://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 2 == done.returncode
    assert "no pact names the provider 'orders' (providers found: payments)" in done.stderr.replace(
        "\n", " "
    )


ORDER_EVENT = {
    "type": "Asynchronous/Messages",
    "description": "an order created event",
    "providerStates": [{"name": "an order exists", "params": {"id": 42}}],
    "contents": {"contentType": "application/json", "content": {"order": 1, "status": "new"}},
    "metadata": {"topic": "orders.created"},
    "matchingRules": {"body": {"$.order": {"matchers": [{"match": "integer"}]}}},
}


def test_message_interaction_verified_through_the_message_url(
    provider: Any, tmp_path: Path
) -> None:
    """The endpoint gets the description and states; metadata comes back in Pact-Message-Metadata."""
    pact = _write(tmp_path, ORDER_EVENT)
    result = runner.invoke(
        app,
        [
            "contract",
            "verify",
            str(pact),
            "--provider",
            "orders",
            "--base-url",
            provider.base_url,
            "--state-url",
            provider.state_url,
            "--message-url",
            f"{provider.base_url}/_pact/message",
        ],
    )
    assert 0 == result.exit_code, result.output
    assert "PASS an order created event" in result.output


def test_message_from_a_python_producer_is_matched(tmp_path: Path) -> None:
    """A producer function gets the state params; a wrong field is a mismatch."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def produce(description: str, params: Any) -> ProducedMessage:
        seen.append((description, dict(params)))
        return ProducedMessage({"order": "42", "status": "new"}, {"topic": "orders.created"})

    pact = _write(tmp_path, ORDER_EVENT)
    report = verify_pacts(
        [pact], VerifyOptions("orders", "http://127.0.0.1:9", message_producer=produce)
    )
    assert [("an order created event", {"id": 42})] == seen
    assert ['body $.order: expected an integer, found "42"'] == [
        str(m) for m in report.results[0].mismatches
    ]


def test_message_without_a_producer_is_skipped(tmp_path: Path) -> None:
    pact = _write(tmp_path, ORDER_EVENT)
    report = verify_pacts([pact], VerifyOptions("orders", "http://127.0.0.1:9"))
    assert ("skipped", "a message interaction needs --message-url") == (
        report.results[0].status,
        report.results[0].error,
    )
    assert report.passed
