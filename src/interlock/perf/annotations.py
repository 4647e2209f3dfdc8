"""`perf check` and `perf run` results as GitHub Actions workflow commands and JUnit XML.

A regression is an `::error` (with the spans whose self time grew and example traces), an
improvement or a clean check a `::notice`, a caveat a `::warning`; a violated threshold an
`::error`. Annotations have no file here: GitHub shows them on the workflow run's summary.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from interlock.perf.compare import Comparison
from interlock.perf.load_test import LoadTestReport


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _why(comparison: Comparison) -> str:
    lines = [
        f"{c.message}; example traces: {', '.join(c.examples) or 'none kept'}"
        for c in comparison.spans
    ]
    return (
        "\nWhy (self time per request in the runs' traces):\n" + "\n".join(lines) if lines else ""
    )


def comparison_to_github(comparison: Comparison) -> str:
    """One workflow command per regression, improvement and note; a notice when all is well."""
    service = comparison.service
    sides = (
        f"{comparison.current_runs} run(s) at {comparison.current_commit[:12]} against "
        f"{comparison.baseline_runs} at {comparison.baseline_commit[:12]}"
    )
    lines = []
    why = _why(comparison)
    for change in comparison.regressions:
        title = _property(f"perf regression: {service}")
        lines.append(f"::error title={title}::{_data(change.message + ' — ' + sides + why)}")
    for change in comparison.improvements:
        title = _property(f"perf improvement: {service}")
        lines.append(f"::notice title={title}::{_data(change.message + ' — ' + sides)}")
    if not comparison.regressions:
        title = _property(f"perf check: {service}")
        lines.append(f"::notice title={title}::{_data('no regression — ' + sides)}")
    for note in comparison.notes:
        lines.append(f"::warning title={_property(f'perf check: {service}')}::{_data(note)}")
    return "\n".join(lines) + "\n"


def thresholds_to_github(report: LoadTestReport) -> str:
    """An `::error` per violated threshold, a `::notice` when every one holds."""
    service = report.combined.service
    lines = [
        f"::error title={_property(f'perf threshold: {service}')}::{_data(r.message)}"
        for r in report.thresholds
        if not r.passed
    ]
    lines += [
        f"::warning title={_property(f'perf run: {service}')}::{_data(w)}" for w in report.warnings
    ]
    if report.passed:
        held = (
            f"{len(report.thresholds)} threshold(s) hold over {report.combined.requests} requests"
        )
        lines.append(f"::notice title={_property(f'perf run: {service}')}::{_data(held)}")
    return "\n".join(lines) + "\n"


def comparison_to_junit(comparison: Comparison) -> str:
    """JUnit XML: a test case per compared metric; a regression carries a `<failure>`."""
    regressions = comparison.regressions
    suite = ET.Element(
        "testsuite",
        name=f"interlock perf check {comparison.service}",
        tests=str(len(comparison.changes)),
        failures=str(len(regressions)),
        errors="0",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("baseline", comparison.baseline_commit),
        ("current", comparison.current_commit),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    why = _why(comparison)
    for change in comparison.changes:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"perf.{comparison.service}",
            name=f"{change.metric} of {change.operation}",
        )
        if change.regression:
            failure = ET.SubElement(case, "failure", message=change.message, type="regression")
            failure.text = change.message + why
    root = ET.Element("testsuites", tests=suite.get("tests", "0"), failures=str(len(regressions)))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
