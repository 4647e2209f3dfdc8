"""`interlock catalog check`, `interlock map`, `interlock impact`: exit codes and output."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from interlock.cli.main import app

WriteTree = Callable[[dict[str, str]], Path]
runner = CliRunner()

BROKEN = {
    "orders/interlock.yaml": """
        apiVersion: interlock/v1
        kind: Service
        name: orders
        calls: [paymnets]
        """,
    "payments/interlock.yaml": """
        apiVersion: interlock/v1
        kind: Service
        name: payments
        """,
}
CYCLE = {
    f"{name}/interlock.yaml": f"apiVersion: interlock/v1\nkind: Service\nname: {name}\ncalls: [{callee}]\n"
    for name, callee in (("a", "b"), ("b", "a"))
}

# ten lines; the quote opened on line 5 (column 14) is never closed
UNCLOSED_QUOTE = {
    "orders/interlock.yaml": """
        apiVersion: interlock/v1
        kind: Service
        name: orders
        owner: team-orders
        description: "takes orders
        calls:
          - payments
          - inventory
        lifecycle: production
        tier: 1
        """,
}


def interlock(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line, as a user runs it (exit codes come from `main`)."""
    return subprocess.run(
        [sys.executable, "-m", "interlock", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_check_a_clean_catalog_exits_0_with_a_summary(shop_tree: Path) -> None:
    result = runner.invoke(app, ["catalog", "check", str(shop_tree)])
    assert 0 == result.exit_code, result.output
    assert (
        "6 files, 4 services, 2 APIs, 2 databases, 2 tables, 3 teams, 18 edges: no findings\n"
        == result.stdout
    )


def test_check_json_lists_counts_and_no_findings(shop_tree: Path) -> None:
    result = runner.invoke(app, ["catalog", "check", str(shop_tree), "--format", "json"])
    assert 0 == result.exit_code
    data = json.loads(result.stdout)
    assert {"service": 4, "api": 2, "database": 2, "table": 2, "team": 3} == data["nodes"]
    assert [] == data["findings"]


def test_check_with_findings_exits_1_and_prints_file_line_col(write_tree: WriteTree) -> None:
    root = write_tree(BROKEN)
    result = interlock("catalog", "check", str(root))
    assert 1 == result.returncode, result.stderr
    lines = result.stdout.splitlines()
    assert (
        f"{root}/orders/interlock.yaml:4:9: error [unknown-reference] no component named"
        " 'paymnets' is defined in any file (did you mean 'payments'?)"
    ) == lines[0]
    assert lines[-1].endswith(": 1 error, 0 warnings")


def test_check_json_with_findings_exits_1(write_tree: WriteTree) -> None:
    result = interlock("catalog", "check", str(write_tree(BROKEN)), "--format", "json")
    assert 1 == result.returncode
    finding = json.loads(result.stdout)["findings"][0]
    assert ("unknown-reference", 4, 9) == (finding["code"], finding["line"], finding["column"])


def test_check_with_only_a_warning_still_exits_1(write_tree: WriteTree) -> None:
    result = runner.invoke(app, ["catalog", "check", str(write_tree(CYCLE))])
    assert 1 == result.exit_code
    assert "warning [calls-cycle] services call each other in a cycle: a -> b -> a" in result.stdout


def test_check_of_a_missing_directory_exits_2_without_traceback(tmp_path: Path) -> None:
    result = interlock("catalog", "check", str(tmp_path / "nowhere"))
    assert 2 == result.returncode
    assert "Traceback" not in result.stderr
    message = f"{tmp_path / 'nowhere'}: not a directory of catalog descriptors"
    assert message in " ".join(result.stderr.split())


def test_directory_defaults_to_the_current_one(shop_tree: Path) -> None:
    result = interlock("catalog", "check", cwd=shop_tree)
    assert 0 == result.returncode
    assert result.stdout.endswith("no findings\n")


def test_map_json_is_the_graph(shop_tree: Path) -> None:
    result = runner.invoke(app, ["map", str(shop_tree), "--format", "json"])
    assert 0 == result.exit_code
    data = json.loads(result.stdout)
    assert "service:gateway" in {n["id"] for n in data["nodes"]}
    assert {"source": "service:orders", "target": "service:payments", "kind": "calls"} == {
        k: v
        for k, v in next(
            e for e in data["edges"] if e["kind"] == "calls" and e["source"] == "service:orders"
        ).items()
        if k in ("source", "target", "kind")
    }


def test_map_writes_svg_to_a_file(shop_tree: Path, tmp_path: Path) -> None:
    target = tmp_path / "map.svg"
    result = runner.invoke(app, ["map", str(shop_tree), "-f", "svg", "-o", str(target)])
    assert 0 == result.exit_code, result.output
    assert "" == result.stdout
    root = ET.parse(target).getroot()
    assert "{http://www.w3.org/2000/svg}svg" == root.tag


def test_map_text_mermaid_and_dot_go_to_stdout(shop_tree: Path) -> None:
    starts = {"text": "Catalog: ", "mermaid": "flowchart LR\n", "dot": "digraph catalog {\n"}
    for format, start in starts.items():
        result = runner.invoke(app, ["map", str(shop_tree), "--format", format])
        assert 0 == result.exit_code
        assert result.stdout.startswith(start)


def test_map_of_a_catalog_with_errors_exits_2_listing_them_on_stderr(
    write_tree: WriteTree,
) -> None:
    result = interlock("map", str(write_tree(BROKEN)), "--format", "svg")
    assert 2 == result.returncode
    assert "" == result.stdout
    assert "error [unknown-reference] no component named 'paymnets'" in result.stderr
    assert "Traceback" not in result.stderr


def test_impact_json_gives_each_dependent_with_its_path(shop_tree: Path) -> None:
    result = runner.invoke(
        app, ["impact", "inventory.products.price", str(shop_tree), "-f", "json"]
    )
    assert 0 == result.exit_code
    data = json.loads(result.stdout)
    assert ("table:inventory.products", "price") == (data["target"], data["column"])
    gateway = next(d for d in data["dependents"] if d["id"] == "service:gateway")
    assert ["calls", "reads"] == [edge["kind"] for edge in gateway["path"]]


def test_impact_text_shows_paths(shop_tree: Path) -> None:
    result = runner.invoke(app, ["impact", "orders", str(shop_tree)], env={"COLUMNS": "200"})
    assert 0 == result.exit_code
    assert "gateway -calls-> orders" in result.stdout


def test_impact_of_an_unknown_target_exits_2_with_a_suggestion(shop_tree: Path) -> None:
    result = interlock("impact", "ordres", str(shop_tree))
    assert 2 == result.returncode
    assert "nothing in the catalog is named 'ordres' (did you mean 'orders'" in result.stderr


def test_help_documents_exit_codes() -> None:
    for command in (["catalog", "check"], ["map"], ["impact"]):
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert 0 == result.exit_code
        assert "Exit codes" in result.stdout


def test_an_unknown_map_format_is_a_usage_error_exit_2(shop_tree: Path) -> None:
    result = interlock("map", str(shop_tree), "--format", "png")
    assert 2 == result.returncode
    assert "Traceback" not in result.stderr


def test_check_reports_an_unclosed_quote_on_the_line_it_opens(write_tree: WriteTree) -> None:
    """Not at the end of the file, where PyYAML notices it: at the quote, with where the file ends."""
    root = write_tree(UNCLOSED_QUOTE)
    result = runner.invoke(app, ["catalog", "check", str(root)])
    assert 1 == result.exit_code, result.output  # a finding, as every other descriptor error
    assert (
        f"{root}/orders/interlock.yaml:5:14: error [bad-yaml] invalid YAML: unclosed quoted "
        "string (started here; the file ended at line 10)"
    ) == result.stdout.splitlines()[0]


def test_map_of_a_file_with_an_unclosed_quote_exits_2_naming_line_5(
    write_tree: WriteTree,
) -> None:
    """A command that needs a valid catalog stops with exit 2 at the quote's place."""
    root = write_tree(UNCLOSED_QUOTE)
    result = runner.invoke(app, ["map", str(root)])
    assert 2 == result.exit_code
    assert f"{root}/orders/interlock.yaml:5:14: error [bad-yaml] invalid YAML: unclosed" in (
        " ".join(result.stderr.split())
    )
    assert "" == result.stdout
