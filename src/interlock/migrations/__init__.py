"""Migration safety: reading migrations in each tool's layout, and linting them.

Impact, dry run and rollback checks build on the same `Migration` model.
"""

from __future__ import annotations

from interlock.migrations.config import find_pyproject, load_lint_settings
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
from interlock.migrations.schema import SchemaModel

__all__ = [
    "Finding",
    "Layout",
    "LintFormat",
    "LintReport",
    "LintSettings",
    "LockFacts",
    "Migration",
    "SchemaModel",
    "Severity",
    "SqlSection",
    "Statement",
    "all_rules",
    "detect_layout",
    "find_pyproject",
    "lint_migrations",
    "lint_paths",
    "load_lint_settings",
    "parse_section",
    "read_migrations",
    "render_text",
    "to_github",
    "to_json",
    "to_sarif",
]
