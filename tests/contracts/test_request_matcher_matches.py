"""`RequestMatcher.matches`, the stub's quick yes/no, agrees with the full `match` on every case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.contracts import RequestMatcher, parse_request

ROOTS = [
    Path(__file__).resolve().parents[1] / "conformance" / "pact-specification",
    Path(__file__).resolve().parent / "cases",
]
CASES = sorted(p for root in ROOTS for p in root.rglob("request/*/*.json"))


def test_request_cases_are_found() -> None:
    """The specification's request cases are there: an empty list must not pass silently."""
    assert len(CASES) > 300


@pytest.mark.parametrize(
    "path", CASES, ids=[f"{p.parents[3].name}/{p.parent.name}/{p.name}" for p in CASES]
)
def test_matches_says_what_the_case_expects(path: Path) -> None:
    """A case that matches is matched; one that does not is refused, like `match` does."""
    version = path.parents[3].name.removeprefix("version-")
    case = json.loads(path.read_text(encoding="utf-8-sig"))
    major = int(version.split(".")[0])
    want = parse_request(case["expected"], major, str(path), "$.expected")
    got = parse_request(case["actual"], major, str(path), "$.actual")
    assert bool(case["match"]) == RequestMatcher(want, version).matches(got)
