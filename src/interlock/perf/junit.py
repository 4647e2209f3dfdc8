"""A load test's thresholds as a JUnit XML report: one test case per threshold, for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from interlock.perf.model import PerfRun
from interlock.perf.thresholds import ThresholdResult


def thresholds_to_junit(run: PerfRun, results: Sequence[ThresholdResult]) -> str:
    """JUnit XML with a `<testcase>` per threshold; a violated one carries a `<failure>`."""
    failures = sum(1 for r in results if not r.passed)
    suite = ET.Element(
        "testsuite",
        name=f"interlock perf {run.service}",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        time=f"{run.duration_s:.3f}",
        timestamp=run.started_at.isoformat(),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("commit", run.commit),
        ("target", run.target),
        ("rate", f"{run.achieved_rate:.1f}"),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for result in results:
        case = ET.SubElement(
            suite, "testcase", classname=f"perf.{run.service}", name=result.threshold.text
        )
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=result.message, type="threshold")
            failure.text = result.message
    root = ET.Element("testsuites", tests=str(len(results)), failures=str(failures))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
