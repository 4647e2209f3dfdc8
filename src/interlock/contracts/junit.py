"""A verification report as JUnit XML, the test-report format CI systems read.

One test suite per pact (consumer), one test case per interaction.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from interlock.contracts.verification import VerificationReport


def report_to_junit(report: VerificationReport) -> str:
    """The report as a JUnit XML document (a `<testsuites>` root)."""
    root = ET.Element("testsuites", name=f"pact verification of {report.provider}")
    suites: dict[str, ET.Element] = {}
    for result in report.results:
        suite = suites.get(result.pact_file)
        if suite is None:
            suite = ET.SubElement(
                root,
                "testsuite",
                name=f"{result.consumer} -> {report.provider}",
                file=result.pact_file,
            )
            suites[result.pact_file] = suite
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{result.consumer}.{report.provider}",
            name=result.description,
            time=f"{result.duration_ms / 1000:.3f}",
        )
        if result.status == "failed":
            text = "\n".join(str(m) for m in result.mismatches)
            failure = ET.SubElement(
                case, "failure", message=f"{len(result.mismatches)} mismatch(es)", type="mismatch"
            )
            failure.text = text
        elif result.status == "error":
            error = ET.SubElement(case, "error", message=result.error or "error", type="error")
            error.text = result.error
        elif result.status == "skipped":
            ET.SubElement(case, "skipped", message=result.error or "skipped")
    for suite in suites.values():
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
