"""`interlock migrate lint` end to end: formats (text, JSON, SARIF, GitHub), exit codes, config."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interlock.catalog import load_catalog
from interlock.cli.main import app
from interlock.errors import SourceError
from interlock.migrations import (
    LintSettings,
    all_rules,
    find_lint_config,
    lint_paths,
    load_lint_settings,
    to_github,
    to_sarif,
)

DANGEROUS = (
    "create table items (id bigint primary key, note text);\n",
    "set lock_timeout = '1s';\nset statement_timeout = '1min';\n\n"
    "create index items_note on items (note);\n",
)


def _migrations(root: Path, *texts: str) -> Path:
    folder = root / "migrations"
    folder.mkdir()
    for number, text in enumerate(texts, start=1):
        (folder / f"{number}_step.up.sql").write_text(text)
    return folder


def _interlock(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_sarif_has_rules_and_one_based_regions(tmp_path: Path) -> None:
    folder = _migrations(tmp_path, *DANGEROUS)
    report = lint_paths([folder], LintSettings())
    sarif = to_sarif(report, all_rules())
    assert "2.1.0" == sarif["version"]
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert sorted(all_rules()) == [rule["id"] for rule in rules]
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules)
    (result,) = [r for r in run["results"] if r["ruleId"] == "require-concurrent-index-creation"]
    assert result["ruleId"] == rules[result["ruleIndex"]]["id"]
    assert "error" == result["level"]
    location = result["locations"][0]["physicalLocation"]
    assert {"startLine": 4, "startColumn": 1} == location["region"]
    assert location["artifactLocation"]["uri"].endswith("migrations/2_step.up.sql")
    assert "\\" not in location["artifactLocation"]["uri"]


def test_github_annotations_escape_their_properties(tmp_path: Path) -> None:
    folder = tmp_path / "odd,dir"
    folder.mkdir()
    (folder / "1_a.up.sql").write_text("create table t (code char(3));\n")
    lines = to_github(lint_paths([folder], LintSettings())).splitlines()
    (line,) = [x for x in lines if "ban-char-field" in x]
    assert line.startswith("::warning file=")
    assert "odd%2Cdir/1_a.up.sql,line=1,col=22,title=ban-char-field::" in line
    assert "\n" not in line


def test_cli_exits_1_on_an_error_finding_and_prints_json(tmp_path: Path) -> None:
    folder = _migrations(tmp_path, *DANGEROUS)
    done = _interlock(tmp_path, "migrate", "lint", str(folder), "--format", "json")
    assert 1 == done.returncode, done.stderr
    data = json.loads(done.stdout)
    rules = {f["rule"] for f in data["findings"]}
    assert "require-concurrent-index-creation" in rules
    finding = next(f for f in data["findings"] if f["rule"] == "require-concurrent-index-creation")
    assert ("SHARE", False, True) == (
        finding["lock"],
        finding["rewrites_table"],
        finding["scans_table"],
    )


def test_cli_exits_0_when_only_warnings(tmp_path: Path) -> None:
    folder = _migrations(tmp_path, "create table t (id integer);\n")
    done = _interlock(tmp_path, "migrate", "lint", str(folder))
    assert 0 == done.returncode, done.stderr
    assert "prefer-bigint-over-int" in done.stdout
    assert "0 error(s), 1 warning(s)" in done.stdout


def test_cli_exits_2_on_unparsable_sql_without_traceback(tmp_path: Path) -> None:
    _migrations(tmp_path, "create table t (id bigint);\nalter tabel t;\n")
    done = _interlock(tmp_path, "migrate", "lint", "migrations")
    assert 2 == done.returncode
    assert "Traceback" not in done.stderr
    assert "migrations/1_step.up.sql:2:7: SQL does not parse" in done.stderr


def test_cli_sarif_and_github_formats(tmp_path: Path) -> None:
    folder = _migrations(tmp_path, *DANGEROUS)
    sarif = json.loads(
        _interlock(tmp_path, "migrate", "lint", str(folder), "--format", "sarif").stdout
    )
    assert sarif["runs"][0]["results"]
    github = _interlock(tmp_path, "migrate", "lint", str(folder), "--format", "github").stdout
    assert (
        "::error file=migrations/2_step.up.sql,line=4,col=1,title=require-concurrent-index-creation::"
        in github
    )


def test_pyproject_settings_disable_rules_and_set_version(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.interlock.migrations]\npg_version = 10\nassume_in_transaction = true\n"
        'disabled_rules = ["require-concurrent-index-creation", "prefer-big-int"]\n'
    )
    settings = load_lint_settings(tmp_path / "pyproject.toml")
    assert 10 == settings.pg_version
    assert settings.assume_in_transaction is True
    folder = _migrations(tmp_path, *DANGEROUS)
    done = _interlock(tmp_path, "migrate", "lint", str(folder), "--format", "json")
    assert 0 == done.returncode
    assert 10 == json.loads(done.stdout)["pg_version"]
    flagged = _interlock(tmp_path, "migrate", "lint", str(folder), "--pg-version", "15")
    assert "notes assume PostgreSQL 15 (from --pg-version)" == flagged.stdout.splitlines()[0]
    assert "0 error(s), 0 warning(s)" in flagged.stdout  # no lock findings left to print


def test_flags_override_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.interlock.migrations]\npg_version = 10\n")
    settings = load_lint_settings(
        tmp_path / "pyproject.toml", pg_version=16, assume_in_transaction=True
    )
    assert (16, True) == (settings.pg_version, settings.assume_in_transaction)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('pg_version = "sixteen"', "$.tool.interlock.migrations.pg_version"),
        ('disabled_rules = ["no-such-rule"]', "$.tool.interlock.migrations.disabled_rules[0]"),
        ("colour = true", "$.tool.interlock.migrations.colour"),
        ('assume_in_transaction = "yes"', "$.tool.interlock.migrations.assume_in_transaction"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, body: str, where: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.interlock.migrations]\n{body}\n")
    with pytest.raises(SourceError) as raised:
        load_lint_settings(tmp_path / "pyproject.toml")
    assert where == raised.value.position.path


def test_public_surface_is_pinned() -> None:
    import interlock.migrations as package

    assert sorted(package.__all__) == package.__all__
    assert all(hasattr(package, name) for name in package.__all__)


def test_every_rule_and_setting_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "migrations.md").read_text()
    missing = [rule for rule in all_rules() if f"`{rule}`" not in docs]
    missing += [
        key for key in ("pg_version", "assume_in_transaction", "disabled_rules") if key not in docs
    ]
    assert [] == missing


def test_settings_come_from_a_config_document_in_interlock_yaml(tmp_path: Path) -> None:
    """`kind: Config` in interlock.yaml holds the same settings as pyproject's table."""
    (tmp_path / "interlock.yaml").write_text(
        "apiVersion: interlock/v1\nkind: Config\nmigrations:\n  pg_version: 12\n  disabled_rules: [prefer-text-field]\n"
    )
    assert tmp_path / "interlock.yaml" == find_lint_config(tmp_path / "db")
    settings = load_lint_settings(find_lint_config(tmp_path))
    assert (12, frozenset({"prefer-text-field"})) == (settings.pg_version, settings.disabled_rules)


def test_a_bad_key_in_interlock_yaml_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "interlock.yaml").write_text(
        "apiVersion: interlock/v1\nkind: Config\nmigrations:\n  pg_versoin: 12\n"
    )
    with pytest.raises(SourceError) as caught:
        load_lint_settings(tmp_path / "interlock.yaml")
    assert 4 == caught.value.position.line
    assert "unknown key" in caught.value.message


def test_a_config_document_is_no_catalog_finding(tmp_path: Path) -> None:
    (tmp_path / "interlock.yaml").write_text(
        "apiVersion: interlock/v1\nkind: Config\nmigrations: {pg_version: 12}\n"
    )
    assert [] == load_catalog(tmp_path).findings


def test_a_large_report_is_written_whole_before_the_process_ends(tmp_path: Path) -> None:
    """`migrate lint` ends without Python's teardown: all of its output must be out first."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    body = "".join(f"create index i{n} on t (c);\n" for n in range(4000))
    (folder / "1_table.up.sql").write_text("create table t (c text);\n")
    (folder / "2_many.up.sql").write_text(body)
    as_json = _interlock(tmp_path, "migrate", "lint", str(folder), "--format", "json")
    assert 1 == as_json.returncode, as_json.stderr
    assert len(as_json.stdout) > 1_000_000  # many times a pipe's buffer
    assert 4001 == json.loads(as_json.stdout)["summary"]["statements"]
    as_text = _interlock(tmp_path, "migrate", "lint", str(folder))
    assert as_text.stdout.rstrip().endswith("in 2 migration(s), 4001 statement(s)")


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    folder = _migrations(tmp_path, *DANGEROUS)
    for n in range(2, 400):
        (folder / f"{n + 1}_more.up.sql").write_text("create index i on t (c);\n")
    with subprocess.Popen(
        [sys.executable, "-m", "interlock", "migrate", "lint", str(folder)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as reader:
        assert reader.stdout is not None and reader.stderr is not None
        reader.stdout.read(100)
        reader.stdout.close()  # as `| head` does
        assert b"Traceback" not in reader.stderr.read()
        assert 1 == reader.wait()


def test_inside_another_program_lint_leaves_the_collector_and_the_process_alone(
    tmp_path: Path,
) -> None:
    """Short-lived process tricks apply only when the CLI is the process (`main`)."""
    folder = _migrations(tmp_path, *DANGEROUS)
    result = CliRunner().invoke(app, ["migrate", "lint", str(folder), "--format", "json"])
    assert 1 == result.exit_code, result.output
    assert json.loads(result.stdout)["summary"]["errors"] > 0
    assert gc.isenabled()
