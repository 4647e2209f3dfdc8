"""Incident settings from the catalog: `health:` and `alertRules:` on a service, the
`incidents:` section of a Config document; every mistake named with its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.catalog import load_catalog
from interlock.errors import SourceError
from interlock.incidents import IncidentSettings, NotifyRoute, load_incident_settings

CONFIG = """\
apiVersion: interlock/v1
kind: Config
incidents:
  rules: {errorRateIncrease: 0.1, p95Factor: 3, minCalls: 20}
  health: {intervalS: 5, failures: 2}
  notify:
    - name: pay
      url: http://127.0.0.1:9/hook
      format: slack
      teams: [team-pay]
"""


def _catalog(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "catalog"
    root.mkdir(exist_ok=True)
    (root / "interlock.yaml").write_text(text)
    return root


def test_the_config_document_sets_rules_health_and_routes(tmp_path: Path) -> None:
    """Each key of `incidents:` lands in the settings; the rest keep their defaults."""
    settings = load_incident_settings(_catalog(tmp_path, CONFIG), IncidentSettings())
    assert (0.1, 3.0, 20) == (
        settings.rules.error_rate_increase,
        settings.rules.p95_factor,
        settings.rules.min_calls,
    )
    assert (5.0, 2, 5.0) == (
        settings.health_interval_s,
        settings.health_failures,
        settings.health_timeout_s,
    )
    assert (NotifyRoute("pay", "http://127.0.0.1:9/hook", "slack", ("team-pay",)),) == (
        settings.routes
    )


def test_environment_variables_override_the_config_document(tmp_path: Path) -> None:
    """`INTERLOCK_INCIDENT_HEALTH_FAILURES` wins over `incidents.health.failures`."""
    from_file = load_incident_settings(_catalog(tmp_path, CONFIG), IncidentSettings())
    settings = IncidentSettings.from_environment(
        {"INTERLOCK_INCIDENT_HEALTH_FAILURES": "4"}, base=from_file
    )
    assert (4, 5.0) == (settings.health_failures, settings.health_interval_s)


@pytest.mark.parametrize(
    ("old", "new", "place", "message"),
    [
        ("format: slack", "format: teams", "9:15", "expected one of json, slack"),
        ("url: http://127.0.0.1:9/hook", "url: ftp://x", "8:12", "expected an http"),
        ("failures: 2", "failures: 0", "5:36", "expected a whole number of 1 or more"),
        ("minCalls: 20", "minCals: 20", "4:58", "unknown key 'minCals'"),
    ],
)
def test_a_bad_config_value_is_named_with_its_line_and_column(
    tmp_path: Path, old: str, new: str, place: str, message: str
) -> None:
    """file:line:col and what was expected, as a SourceError (one line, exit 2 in the CLI)."""
    root = _catalog(tmp_path, CONFIG.replace(old, new))
    with pytest.raises(SourceError) as caught:
        load_incident_settings(root, IncidentSettings())
    assert f"interlock.yaml:{place}: " in str(caught.value)
    assert message in str(caught.value)


def test_a_bad_health_url_and_threshold_are_catalog_findings(tmp_path: Path) -> None:
    """`health:` must be an http(s) URL and thresholds numbers above 0, each at its place."""
    root = _catalog(
        tmp_path,
        "apiVersion: interlock/v1\nkind: Service\nname: stock\nhealth: stock:8080\n"
        "alertRules:\n  p95Ms: -5\n  p99Ms: 3\n",
    )
    found = sorted(
        (f.line, f.column, f.message)
        for f in load_catalog(root).findings
        if f.file.endswith(".yaml")
    )
    assert [
        (4, 9, "'health' must be an http:// or https:// URL"),
        (6, 10, "'p95Ms' must be a number above 0"),
        (
            7,
            10,
            "unknown threshold 'p99Ms': expected one of errorRate, errorRateIncrease, p95Ms, p95Factor, minCalls",
        ),
    ] == found
