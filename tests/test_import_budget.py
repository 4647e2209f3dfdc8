"""Start-up budgets: what each quick command may import, as lists of modules (not timings).

A pre-commit hook or a CI step runs these commands on every change, so their start-up is
their cost; a new import on one of these paths has to be added here on purpose.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop"
# typer's dependencies, and the few libraries the CLI's output needs
CLI = {"typer", "rich", "shellingham", "annotated_doc", "click", "orjson", "pygments"}
# what text written to a pipe (a CI step, a pre-commit hook) does without: see interlock.markup
RICH = {"rich", "pygments"}


def _imports(*args: str, cwd: Path = ROOT) -> set[str]:
    """Every module a fresh `python -m interlock ARGS` imports, by its dotted name."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "interlock", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "imported package" not in line
    }


def _third_party(names: set[str]) -> set[str]:
    tops = {n.split(".")[0] for n in names}
    # `org` is the Jython probe in `copy`/`pickle`, a failed import of no cost
    return {
        t for t in tops - set(sys.stdlib_module_names) if not t.startswith(("interlock", "_"))
    } - {
        "org",
        "sitecustomize",
        "usercustomize",
    }


def _ours(names: set[str]) -> set[str]:
    return {".".join(n.split(".")[:2]) for n in names if n.split(".")[0] == "interlock"}


def test_version_imports_neither_typer_nor_typing() -> None:
    """`interlock --version` loads the package and the CLI entry, and nothing else of note."""
    names = _imports("--version")
    assert set() == _third_party(names)
    assert {"interlock", "interlock.cli", "interlock.errors"} == _ours(names)
    assert set() == names & {"typing", "dataclasses", "inspect", "pathlib", "enum", "json"}


def test_catalog_check_reads_descriptors_without_a_graph_library() -> None:
    """`catalog check` of a small catalog: YAML and the CLI; no networkx, SVG, XML or HTTP."""
    names = _imports("catalog", "check", str(SHOP))
    assert set() == _third_party(names) - (CLI - RICH | {"yaml"})
    assert set() == _ours(names) - {
        "interlock",
        "interlock.cli",
        "interlock.errors",
        "interlock.catalog",
        "interlock.markup",
        "interlock.settings",
    }
    assert set() == names & {"networkx", "xml.sax.saxutils", "http.client", "urllib.request"}


def test_migrate_lint_of_one_file_loads_the_parser_and_the_rules_only(tmp_path: Path) -> None:
    """`migrate lint` of one file: PostgreSQL's parser and the CLI; no database or server."""
    migration = tmp_path / "V1__add_price.sql"
    migration.write_text("ALTER TABLE items ADD COLUMN price numeric;\n")
    names = _imports("migrate", "lint", str(migration), cwd=tmp_path)
    assert set() == _third_party(names) - (CLI - RICH | {"pglast", "yaml"})
    assert set() == _ours(names) - {
        "interlock",
        "interlock.cli",
        "interlock.errors",
        "interlock.markup",
        "interlock.migrations",
        "interlock.settings",
    }
    # a pyproject.toml is read only where there is one; one file is linted without forking
    assert set() == names & {"tomllib", "pickle"}
