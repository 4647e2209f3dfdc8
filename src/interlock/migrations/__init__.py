"""Migration safety: reading migrations in each tool's layout, and linting them.

Impact, dry run and rollback checks build on the same `Migration` model.
"""

from __future__ import annotations

from interlock.migrations.checks_report import (
    render_dry_run_html,
    render_dry_run_text,
    render_impact_text,
    render_report_fragment,
)
from interlock.migrations.config import find_lint_config, find_pyproject, load_lint_settings
from interlock.migrations.dryrun import DryRunReport, dry_run
from interlock.migrations.history import split_pending
from interlock.migrations.impact import (
    MigrationImpact,
    ObservedQuery,
    impact_of_directory,
    migration_impact,
    observed_queries,
)
from interlock.migrations.layouts import detect_layout, read_migrations
from interlock.migrations.lint import all_rules, lint_migrations, lint_paths
from interlock.migrations.model import (
    Finding,
    Layout,
    LintReport,
    LintSettings,
    LockFacts,
    Migration,
    Severity,
    SqlSection,
    Statement,
)
from interlock.migrations.parsing import parse_section
from interlock.migrations.report import LintFormat, render_text, to_github, to_json, to_sarif
from interlock.migrations.saved_reports import SavedReport, list_reports, load_report, save_report
from interlock.migrations.schema import SchemaModel

__all__ = [
    "DryRunReport",
    "Finding",
    "Layout",
    "LintFormat",
    "LintReport",
    "LintSettings",
    "LockFacts",
    "Migration",
    "MigrationImpact",
    "ObservedQuery",
    "SavedReport",
    "SchemaModel",
    "Severity",
    "SqlSection",
    "Statement",
    "all_rules",
    "detect_layout",
    "dry_run",
    "find_lint_config",
    "find_pyproject",
    "impact_of_directory",
    "lint_migrations",
    "lint_paths",
    "list_reports",
    "load_lint_settings",
    "load_report",
    "migration_impact",
    "observed_queries",
    "parse_section",
    "read_migrations",
    "render_dry_run_html",
    "render_dry_run_text",
    "render_impact_text",
    "render_report_fragment",
    "render_text",
    "save_report",
    "split_pending",
    "to_github",
    "to_json",
    "to_sarif",
]
