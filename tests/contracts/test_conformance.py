"""The Pact specification's own conformance cases, and Interlock's cases for the other matchers.

Every case file is one test; none is skipped or excluded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.contracts import (
    match_message,
    match_request,
    match_response,
    parse_message,
    parse_request,
    parse_response,
)

SPEC = Path(__file__).resolve().parents[1] / "conformance" / "pact-specification"
OWN = Path(__file__).resolve().parent / "cases"


def _cases(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"))


def _version(path: Path, root: Path) -> str:
    return path.relative_to(root).parts[0].removeprefix("version-")


def _run(path: Path, version: str) -> tuple[bool, list[str]]:
    major = int(version.split(".")[0])
    # some published cases start with a byte-order mark
    case = json.loads(path.read_text(encoding="utf-8-sig"))
    kind = path.parent.parent.name
    file = str(path)
    if kind == "request":
        want = parse_request(case["expected"], major, file, "$.expected")
        got = parse_request(case["actual"], major, file, "$.actual")
        mismatches = match_request(want, got, version)
    elif kind == "response":
        want_r = parse_response(case["expected"], major, file, "$.expected")
        got_r = parse_response(case["actual"], major, file, "$.actual")
        mismatches = match_response(want_r, got_r)
    else:
        want_m = parse_message(case["expected"], major, file, "$.expected")
        got_m = parse_message(case["actual"], major, file, "$.actual")
        mismatches = match_message(want_m, got_m)
    return bool(case["match"]), [str(m) for m in mismatches]


SPEC_CASES = _cases(SPEC)


def test_every_specification_case_is_found() -> None:
    """All five versions are in tests/conformance; a missing folder must not pass silently."""
    versions = {p.relative_to(SPEC).parts[0] for p in SPEC_CASES}
    assert {"version-1", "version-1.1", "version-2", "version-3", "version-4"} == versions
    assert len(SPEC_CASES) > 750


@pytest.mark.parametrize("path", SPEC_CASES, ids=[str(p.relative_to(SPEC)) for p in SPEC_CASES])
def test_specification_case(path: Path) -> None:
    expected, mismatches = _run(path, _version(path, SPEC))
    assert expected == (not mismatches), mismatches


OWN_CASES = _cases(OWN)


@pytest.mark.parametrize("path", OWN_CASES, ids=[str(p.relative_to(OWN)) for p in OWN_CASES])
def test_interlock_case(path: Path) -> None:
    expected, mismatches = _run(path, _version(path, OWN))
    assert expected == (not mismatches), mismatches
