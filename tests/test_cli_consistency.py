"""Every command fails the same clean way, and its flags, output and exit codes mean one thing.

Run as a user runs them: a subprocess of the installed `interlock` (main() is what turns an
error into one line), or in process through Typer where only the command tree is read.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from interlock.cli.main import COMMANDS, _module_commands, app
from interlock.ports import free_port, wait_for_port
from interlock.telemetry import Span, SpanKind, SQLiteSpanStore, TelemetrySettings

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "examples" / "shop"
INTERLOCK = str(Path(sys.executable).parent / "interlock")
MAPPING = {"request": {"method": "GET", "url": "/hello"}, "response": {"status": 200, "body": "hi"}}


def _env() -> dict[str, str]:
    """The user's environment without COLUMNS: output goes to a pipe, as in CI."""
    return {k: v for k, v in os.environ.items() if k != "COLUMNS"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`interlock ARGS` to completion, stdout and stderr read through pipes."""
    return subprocess.run(
        [INTERLOCK, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd or REPO,
        env=_env(),
    )


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """`interlock ARGS` left running (a server)."""
    return subprocess.Popen(
        [INTERLOCK, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=_env(),
    )


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Ctrl-C, then what is left of its output."""
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=30)


def read_json_block(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The next indented JSON object the process prints."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.rstrip() == "}":
            break
    data: dict[str, Any] = json.loads("".join(lines))
    return data


def one_line(stderr: str) -> str:
    """The error, checked to be a single line without a traceback."""
    lines = stderr.strip().splitlines()
    assert 1 == len(lines), stderr
    assert "Traceback" not in stderr
    return lines[0]


def _commands() -> Iterator[tuple[list[str], Any]]:
    """Every command and group under `interlock`, with its words."""

    def walk(path: list[str], command: Any) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        for name, sub in (getattr(command, "commands", None) or {}).items():
            yield from walk([*path, name], sub)

    for name, module in COMMANDS.items():
        yield from walk([name], _module_commands(module).get_command(None, name))


def _options(command: Any) -> list[Any]:
    return [p for p in command.params if getattr(p, "param_type_name", "") == "option"]


# 1. ports


PORT_CASES = [
    (["stub", "serve", "x.json", "--port", "70000"], "--port", "1-65535"),
    (["stub", "serve", "x.json", "--admin-port", "70000"], "--admin-port", "1-65535"),
    (["stub", "serve", "x.json", "--admin-port", "0"], "--admin-port", "1-65535"),
    (["collector", "--port", "0"], "--port", "1-65535"),
    (
        ["stub", "record", "--target", "http://127.0.0.1:1", "--port", "70000"],
        "--port",
        "1-65535 or 0 (a free one)",
    ),
    (["collector", "--port", "70000"], "--port", "1-65535"),
    (["collector", "--port", "http"], "--port", "1-65535"),
    (["server", "--port", "70000"], "--port", "1-65535"),
    (["demo", "--port", "70000"], "--port", "1-65535"),
    (["demo", "--shop-ports", "70000"], "--shop-ports", "1-65535"),
    (["chaos", "proxy", "--port", "70000"], "--port", "1-65535 or 0 (a free one)"),
]


@pytest.mark.parametrize(("args", "flag", "expected"), PORT_CASES)
def test_a_port_out_of_range_is_one_line_naming_the_flag(
    args: list[str], flag: str, expected: str
) -> None:
    """No OverflowError: `--port: expected a port number 1-65535, found 70000`, exit 2."""
    done = run(*args)
    assert 2 == done.returncode
    line = one_line(done.stderr)
    found = args[args.index(flag) + 1]
    assert f"error: {flag}: expected a port number {expected}" in line
    assert line.split("(see")[0].rstrip().endswith(f"found {found}")


def test_every_port_option_uses_the_shared_port_type() -> None:
    """A port option added later without the shared check would fail here."""
    takes_auto = {"--ports", "--shop-ports"}  # `auto` or the first of several ports
    ports = [
        (" ".join(path), option.opts[0])
        for path, command in _commands()
        for option in _options(command)
        if any("port" in flag for flag in option.opts) and not takes_auto & set(option.opts)
    ]
    assert len(ports) >= 7, ports
    for where, option in ports:
        params = next(c for p, c in _commands() if " ".join(p) == where).params
        param = next(p for p in params if option in p.opts)
        assert "PORT" == param.metavar, f"{where} {option}"


def test_the_first_of_several_ports_is_checked_too(tmp_path: Path) -> None:
    """`stub serve --ports 70000` (the first of several) is checked like any port."""
    source = tmp_path / "greeter.json"
    source.write_text(json.dumps(MAPPING))
    done = run("stub", "serve", str(source), "--ports", "70000")
    assert 2 == done.returncode
    assert "error: --ports: expected a port number 1-65535, found 70000" == one_line(done.stderr)


# 2. a binary file where a text file was expected


def test_stub_serve_names_a_binary_file_and_what_it_expected(tmp_path: Path) -> None:
    """A binary file as a stub source: one line naming it and what was expected, exit 2."""
    binary = tmp_path / "logo.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    done = run("stub", "serve", str(binary))
    assert 2 == done.returncode
    line = one_line(done.stderr)
    assert line.startswith(f"error: {binary}: expected a UTF-8 text file")


def test_contract_compat_names_a_binary_openapi_file(tmp_path: Path) -> None:
    """A binary file where an OpenAPI document was expected: one line naming it, exit 2."""
    binary = tmp_path / "openapi.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    pact = REPO / "examples" / "shop" / "pacts" / "gateway-orders.json"
    done = run("contract", "compat", str(pact), "--openapi", str(binary))
    assert 2 == done.returncode
    assert done.stderr.startswith(f"error: {binary}: expected a UTF-8 text file"), done.stderr
    assert 1 == len(done.stderr.splitlines())


def test_chaos_proxy_names_a_binary_config_file(tmp_path: Path) -> None:
    """A binary --config: one line naming the file, exit 2."""
    binary = tmp_path / "proxies.json"
    binary.write_bytes(b"\xff\xfe\x00binary")
    done = run("chaos", "proxy", "--port", str(free_port()), "--config", str(binary))
    assert 2 == done.returncode
    assert f"error: {binary}: expected a JSON text file" in one_line(done.stderr)


# 3. output paths


def test_map_to_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    """`map -o` into a directory that does not exist: one line, exit 2, nothing drawn."""
    target = tmp_path / "missing" / "x.svg"
    done = run("map", str(SHOP), "--format", "svg", "-o", str(target))
    assert 2 == done.returncode
    assert (
        f"error: --output: cannot write {target}: directory {target.parent} does not exist"
        in one_line(done.stderr)
    )
    assert "" == done.stdout


def test_map_to_a_directory_is_one_line(tmp_path: Path) -> None:
    """`map -o DIR`: a directory is not a file to write."""
    done = run("map", str(SHOP), "-o", str(tmp_path))
    assert 2 == done.returncode
    assert f"cannot write {tmp_path}: it is a directory" in one_line(done.stderr)


def test_dry_run_checks_its_output_before_touching_the_database(tmp_path: Path) -> None:
    """The bad --output is reported at once, not after a long dry run (the URL is never used)."""
    target = tmp_path / "missing" / "report.html"
    migrations = SHOP / "inventory" / "migrations"
    done = run(
        "migrate", "dry-run", str(migrations), "--database-url", "postgresql://127.0.0.1:1/x",
        "-f", "html", "-o", str(target),
    )  # fmt: skip
    assert 2 == done.returncode
    assert f"error: --output: cannot write {target}" in one_line(done.stderr)


def test_contract_extract_output_to_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    """`migrate contract extract -o` into a missing directory: one line, exit 2."""
    target = tmp_path / "missing" / "c.yaml"
    done = run(
        "migrate", "contract", "extract", "--service", "orders", "--database", "inventory",
        "--data-dir", str(tmp_path), "-o", str(target),
    )  # fmt: skip
    assert 2 == done.returncode
    assert f"error: --output: cannot write {target}" in one_line(done.stderr)


def test_stub_record_refuses_a_file_as_its_directory_before_recording(tmp_path: Path) -> None:
    """Found at start, not when Ctrl-C would lose what was recorded."""
    file = tmp_path / "recordings"
    file.write_text("not a directory")
    done = run("stub", "record", "--target", "http://127.0.0.1:1", "--out", str(file / "x"))
    assert 2 == done.returncode
    assert f"{file} is a file, not a directory" in one_line(done.stderr)


# 4. a port in use


def test_collector_on_a_busy_port_says_so_before_any_banner(tmp_path: Path) -> None:
    """A busy port: no 'listening' banner, one line on stderr, exit 2 (as `server` does)."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run("collector", "--port", str(port), "--data-dir", str(tmp_path))
    assert 2 == done.returncode
    assert "" == done.stdout
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in one_line(
        done.stderr
    )


# 6. errors as JSON


@pytest.mark.parametrize(
    "json_flag", [["--format", "json"], ["--format=json"], ["-f", "json"], ["-fjson"]]
)
def test_a_user_error_in_json_mode_is_one_json_object(tmp_path: Path, json_flag: list[str]) -> None:
    """Each way of asking for JSON makes a user error one JSON object on stderr."""
    done = run("catalog", "check", str(tmp_path / "nowhere"), *json_flag)
    assert 2 == done.returncode
    error = json.loads(one_line(done.stderr))
    assert 2 == error["code"]
    assert str(tmp_path / "nowhere") in error["error"]


def test_a_usage_error_in_json_mode_is_one_json_object() -> None:
    """A bad option value in JSON mode is one JSON object too."""
    done = run("collector", "--port", "70000", "--format", "json")
    assert 2 == done.returncode
    error = json.loads(one_line(done.stderr))
    assert 2 == error["code"]
    assert error["error"].startswith("--port: expected a port number 1-65535, found 70000")


def test_an_invalid_catalog_in_json_mode_is_one_json_object_with_its_findings(
    tmp_path: Path,
) -> None:
    """A catalog with errors, in JSON mode: one object carrying the findings."""
    (tmp_path / "catalog-info.yaml").write_text("apiVersion: backstage.io/v1alpha1\nkind: Nope\n")
    done = run("impact", "orders", str(tmp_path), "-f", "json")
    assert 2 == done.returncode
    error = json.loads(one_line(done.stderr))
    assert 2 == error["code"]
    assert error["findings"], error


def test_errors_stay_text_without_json(tmp_path: Path) -> None:
    """Without --format json the error is the usual `error: ...` line."""
    done = run("catalog", "check", str(tmp_path / "nowhere"))
    assert 2 == done.returncode
    assert one_line(done.stderr).startswith("error: ")


# 7. --format json on every command that prints a result


def test_every_command_offers_format_json() -> None:
    """Groups aside, each command takes --format (with json among its choices)."""
    for path, command in _commands():
        if getattr(command, "commands", None):
            continue
        help_text = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "300"}).output
        assert "--format" in help_text, path
        assert "json" in help_text, path


@pytest.mark.server
def test_collector_json_start_line_names_its_urls(tmp_path: Path) -> None:
    """`collector -f json` prints one object with its OTLP URLs, then serves."""
    port = free_port()
    process = start("collector", "--port", str(port), "--data-dir", str(tmp_path), "-f", "json", cwd=tmp_path)  # fmt: skip
    try:
        started = read_json_block(process)
        assert f"http://127.0.0.1:{port}/v1/traces" == started["traces"]
        assert f"http://127.0.0.1:{port}/v1/logs" == started["logs"]
        wait_for_port(port)
        answer = httpx.post(started["traces"], json={"resourceSpans": []}, timeout=10)
        assert 200 == answer.status_code
    finally:
        out, err = stop(process)
    assert 0 == process.returncode, err
    assert "" == out.strip()


@pytest.mark.server
def test_server_json_start_line_names_its_url(tmp_path: Path) -> None:
    """`server --format json` prints one object with its URL, then serves."""
    port = free_port()
    process = start(
        "server", "--port", str(port), "--data-dir", str(tmp_path / "data"),
        "--catalog", str(SHOP), "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    try:
        started = read_json_block(process)
        assert f"http://127.0.0.1:{port}/" == started["url"]
        assert str(SHOP) == started["catalog"]
        wait_for_port(port)
        assert 200 == httpx.get(started["url"], timeout=30).status_code
    finally:
        out, err = stop(process)
    assert 0 == process.returncode, err
    assert "" == out.strip()


@pytest.mark.server
def test_fault_remove_prints_json(tmp_path: Path) -> None:
    """`fault remove -f json` prints what it removed; an unknown fault is a JSON error."""
    source = tmp_path / "greeter.json"
    source.write_text(json.dumps(MAPPING))
    stubs = start("stub", "serve", f"greeter={source}", "-f", "json", cwd=tmp_path)
    try:
        admin = read_json_block(stubs)["admin"]
        added = run("fault", "add", "--stub-admin", admin, "--service", "greeter",
                    "--type", "latency", "--latency-ms", "5", "--name", "slow")  # fmt: skip
        assert 0 == added.returncode, added.stderr
        removed = run("fault", "remove", "--stub-admin", admin, "--service", "greeter",
                      "--name", "slow", "-f", "json")  # fmt: skip
        assert 0 == removed.returncode, removed.stderr
        assert {"service": "greeter", "removed": "slow"} == json.loads(removed.stdout)
        again = run("fault", "remove", "--stub-admin", admin, "--service", "greeter",
                    "--name", "slow", "-f", "json")  # fmt: skip
        assert 2 == again.returncode
        assert 2 == json.loads(one_line(again.stderr))["code"]
    finally:
        stop(stubs)


@pytest.mark.server
def test_stub_record_json_names_the_proxy_then_the_pact(tmp_path: Path) -> None:
    """`stub record -f json`: the proxy's URL at start, the pact written at Ctrl-C."""
    upstream_port, port = free_port(), free_port()
    (tmp_path / "hello.txt").write_text("hello there")
    upstream = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(upstream_port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process = start(
        "stub", "record", "--target", f"http://127.0.0.1:{upstream_port}", "--port", str(port),
        "--out", str(tmp_path / "rec"), "--provider", "files", "-f", "json", cwd=tmp_path,
    )  # fmt: skip
    try:
        started = read_json_block(process)
        assert f"http://127.0.0.1:{port}" == started["url"]
        wait_for_port(upstream_port)
        assert "hello there" == httpx.get(f"{started['url']}/hello.txt", timeout=10).text
    finally:
        out, err = stop(process)
        upstream.terminate()
        upstream.wait(timeout=10)
    assert 0 == process.returncode, err
    written = json.loads(out)
    assert (str(tmp_path / "rec" / "recorded-consumer-files.json"), 1) == (
        written["written"],
        written["interactions"],
    )


def _queries_seen(data_dir: Path) -> None:
    """orders ran one query on inventory, as its spans say."""
    now = time.time_ns()
    span = Span(
        f"{7:032x}", f"{7:016x}", None, "SELECT products", SpanKind.CLIENT, now, now + 1_000_000,
        "orders",
        attributes={
            "db.system": "postgresql",
            "db.name": "inventory",
            "db.statement": "SELECT name FROM products WHERE id = 3",
        },
    )  # fmt: skip
    settings = TelemetrySettings(data_dir=data_dir)
    store = SQLiteSpanStore(settings.spans_path, settings)
    store.offer_spans([span])
    store.close()


def test_contract_extract_prints_json(tmp_path: Path) -> None:
    """`migrate contract extract -f json` prints the contract, or with -o what it wrote."""
    _queries_seen(tmp_path)
    args = ["migrate", "contract", "extract", "--service", "orders", "--database", "inventory",
            "--data-dir", str(tmp_path)]  # fmt: skip
    printed = run(*args, "-f", "json")
    assert 0 == printed.returncode, printed.stderr
    assert "products" in json.dumps(json.loads(printed.stdout))
    target = tmp_path / "orders-inventory.yaml"
    written = run(*args, "-f", "json", "-o", str(target))
    assert 0 == written.returncode, written.stderr
    assert {"written": str(target), "queries": 1} == json.loads(written.stdout)
    assert "products" in target.read_text()


def test_demo_stop_prints_json(tmp_path: Path) -> None:
    """`demo --stop -f json` with no demo running prints `{"stopped": null}`."""
    done = run("demo", "--stop", "--data-dir", str(tmp_path), "-f", "json")
    assert 0 == done.returncode, done.stderr
    assert {"stopped": None} == json.loads(done.stdout)


# 8. one meaning per flag


def test_short_flags_mean_one_thing_everywhere() -> None:
    """-f is --format on every command that has --format; -o is always --output PATH."""
    for path, command in _commands():
        for option in _options(command):
            opts = set(option.opts)
            where = f"{' '.join(path)} {sorted(opts)}"
            assert ("-f" in opts) == ("--format" in opts), where
            assert ("-o" in opts) == ("--output" in opts), where
            assert "--out" not in opts or path == ["stub", "record"], where


def test_a_short_flag_stands_for_one_long_option_in_every_command() -> None:
    """`-e` cannot be --environment in one group and --version in another."""
    meanings: dict[str, set[str]] = {}
    for _path, command in _commands():
        for option in _options(command):
            longs = sorted(o for o in option.opts if o.startswith("--"))
            for short in (o for o in option.opts if len(o) == 2):
                meanings.setdefault(short, set()).add(longs[0] if longs else "")
    assert {} == {short: longs for short, longs in meanings.items() if len(longs) > 1}


# 9. whole values in a pipe


def test_tables_in_a_pipe_keep_whole_values() -> None:
    """Stdout to a pipe, no COLUMNS: a path longer than 80 columns is printed whole."""
    done = run("impact", "inventory.products", str(SHOP))
    assert 0 == done.returncode, done.stderr
    whole = "inventory-api <-provides- inventory -owns-> inventory -contains-> inventory.products"
    assert whole in done.stdout
    assert "…" not in done.stdout


# 10. exit codes in every --help


def test_every_help_states_its_exit_codes() -> None:
    """`interlock --help` and every group's and command's --help state the exit codes."""
    missing = []
    for path, _ in [([], None), *_commands()]:
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "300"})
        assert 0 == result.exit_code, path
        if "Exit codes:" not in " ".join(result.output.split()):
            missing.append(" ".join(path))
    assert [] == missing


def test_rca_help_says_findings_exit_1() -> None:
    """rca: 0 nothing wrong, 1 suspects found (findings), as its --help says."""
    result = CliRunner().invoke(app, ["rca", "--help"], env={"COLUMNS": "300"})
    text = " ".join(result.output.split())
    assert "Exit codes: 0 nothing looks wrong" in text
    assert "1 findings (something failed and suspects are ranked)" in text
