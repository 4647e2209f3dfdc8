"""Migration safety: reading migrations in each tool's layout, and linting them.

Impact, dry run and rollback checks build on the same `Migration` model. They need
PostgreSQL drivers and the catalog, so they load on first use: `migrate lint` starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from interlock.migrations.config import find_lint_config, find_pyproject, load_lint_settings
from interlock.migrations.layouts import detect_layout, read_migrations
from interlock.migrations.lint import all_rules, lint_migrations, lint_paths
from interlock.migrations.model import (
    ContextNote,
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
from interlock.migrations.report import (
    LintFormat,
    lint_report_data,
    render_text,
    to_github,
    to_json,
    to_sarif,
)
from interlock.migrations.schema import SchemaModel

if TYPE_CHECKING:
    from interlock.migrations.checks_report import (
        render_dry_run_html,
        render_dry_run_text,
        render_impact_text,
        render_report_fragment,
    )
    from interlock.migrations.dryrun import DryRunReport, dry_run
    from interlock.migrations.history import (
        create_history_table,
        record_applied,
        split_pending,
    )
    from interlock.migrations.impact import (
        MigrationImpact,
        ObservedQuery,
        impact_of_directory,
        migration_impact,
        observed_queries,
    )
    from interlock.migrations.proposals import Proposal, group_proposals, report_reason
    from interlock.migrations.saved_reports import (
        SavedReport,
        list_reports,
        load_report,
        save_report,
    )

_LAZY = {
    "render_dry_run_html": "checks_report",
    "render_dry_run_text": "checks_report",
    "render_impact_text": "checks_report",
    "render_report_fragment": "checks_report",
    "DryRunReport": "dryrun",
    "dry_run": "dryrun",
    "split_pending": "history",
    "create_history_table": "history",
    "record_applied": "history",
    "MigrationImpact": "impact",
    "ObservedQuery": "impact",
    "impact_of_directory": "impact",
    "migration_impact": "impact",
    "observed_queries": "impact",
    "Proposal": "proposals",
    "group_proposals": "proposals",
    "report_reason": "proposals",
    "SavedReport": "saved_reports",
    "list_reports": "saved_reports",
    "load_report": "saved_reports",
    "save_report": "saved_reports",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ContextNote",
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
    "Proposal",
    "SavedReport",
    "SchemaModel",
    "Severity",
    "SqlSection",
    "Statement",
    "all_rules",
    "create_history_table",
    "detect_layout",
    "dry_run",
    "find_lint_config",
    "find_pyproject",
    "group_proposals",
    "impact_of_directory",
    "lint_migrations",
    "lint_paths",
    "lint_report_data",
    "list_reports",
    "load_lint_settings",
    "load_report",
    "migration_impact",
    "observed_queries",
    "parse_section",
    "read_migrations",
    "record_applied",
    "render_dry_run_html",
    "render_dry_run_text",
    "render_impact_text",
    "render_report_fragment",
    "render_text",
    "report_reason",
    "save_report",
    "split_pending",
    "to_github",
    "to_json",
    "to_sarif",
]
