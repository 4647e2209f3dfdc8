"""SARIF for GitHub code scanning: a fingerprint per result, so no two alerts are merged."""

from __future__ import annotations

from pathlib import Path

from interlock.migrations import LintSettings, all_rules, lint_paths, to_sarif


def test_every_result_has_its_own_fingerprint(tmp_path: Path) -> None:
    """The same statement twice in a file, and two findings of one statement, stay apart."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_tables.sql").write_text("create table items (id bigint, a int, b int);\n")
    (folder / "002_drop.sql").write_text(
        "alter table items drop column a, drop column b;\n"
        "create index items_id on items (id);\ncreate index items_id on items (id);\n"
    )
    sarif = to_sarif(lint_paths([folder], LintSettings()), all_rules())
    results = sarif["runs"][0]["results"]
    prints = [r["partialFingerprints"]["interlockFinding/v2"] for r in results]
    assert len(results) >= 4
    assert len(prints) == len(set(prints))
    assert "https://github.com/interlock/interlock" != sarif["runs"][0]["tool"]["driver"].get(
        "informationUri"
    )
