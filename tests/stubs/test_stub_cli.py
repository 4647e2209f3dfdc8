"""`interlock stub serve` and `interlock stub record` as a user runs them, in a subprocess."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from interlock.ports import free_port, wait_for_port

pytestmark = pytest.mark.server

MAPPING = {"request": {"method": "GET", "url": "/hello"}, "response": {"status": 200, "body": "hi"}}


def interlock(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "interlock"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_json_block(process: subprocess.Popen[str]) -> dict[str, object]:
    """The first indented JSON document the process prints."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.rstrip() == "}":
            break
    data: dict[str, object] = json.loads("".join(lines))
    return data


def test_stub_serve_prints_services_and_serves_until_ctrl_c(
    stub_files: Callable[[str, object], str],
) -> None:
    source = "greeter=" + stub_files("greeter.json", MAPPING)
    process = interlock("stub", "serve", source, "--format", "json", "--seed", "3")
    try:
        printed = read_json_block(process)
        services = printed["services"]
        assert isinstance(services, list)
        assert "greeter" == services[0]["name"]
        assert "hi" == httpx.get(services[0]["url"] + "/hello").text
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
    assert 0 == process.returncode


def test_stub_serve_text_output_is_a_table(stub_files: Callable[[str, object], str]) -> None:
    port = free_port()
    source = "greeter=" + stub_files("greeter.json", MAPPING)
    process = interlock("stub", "serve", source, "--ports", str(port))
    try:
        wait_for_port(port)
        assert "hi" == httpx.get(f"http://127.0.0.1:{port}/hello").text
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=15)
    assert "greeter" in out
    assert f"http://127.0.0.1:{port}" in out


def test_stub_serve_with_a_bad_source_exits_2_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"openapi": "3.0.0", "paths": [}')
    process = interlock("stub", "serve", str(bad))
    _, err = process.communicate(timeout=30)
    assert 2 == process.returncode
    assert f"{bad}:1:" in err
    assert "Traceback" not in err


def test_stub_record_writes_the_pact_on_ctrl_c(tmp_path: Path) -> None:
    upstream_port = free_port()
    upstream = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(upstream_port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    (tmp_path / "hello.txt").write_text("hello there")
    port = free_port()
    process = interlock(
        "stub",
        "record",
        "--target",
        f"http://127.0.0.1:{upstream_port}",
        "--port",
        str(port),
        "--out",
        str(tmp_path / "rec"),
        "--provider",
        "files",
    )
    try:
        wait_for_port(upstream_port)
        wait_for_port(port)
        assert "hello there" == httpx.get(f"http://127.0.0.1:{port}/hello.txt").text
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=15)
        upstream.terminate()
        upstream.wait(timeout=10)
    assert 0 == process.returncode, err
    pact = json.loads((tmp_path / "rec" / "recorded-consumer-files.json").read_text())
    assert "hello there" == pact["interactions"][0]["response"]["body"]["content"]
