"""`interlock server` as a real process: it serves, stops cleanly, and refuses bad settings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from interlock.ports import check_can_listen, free_port, wait_for_port


def _environment(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTERLOCK_")}
    return {**clean, **extra}


def _one_line(text: str) -> str:
    """Rich wraps long error lines to the terminal width; compare the words."""
    return " ".join(text.split())


def _server_command(catalog: Path, data: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "interlock",
        "server",
        "--port",
        str(port),
        "--catalog",
        str(catalog),
        "--data-dir",
        str(data),
    ]


@pytest.mark.server
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_server_serves_then_shuts_down_cleanly_on_signal(
    small_catalog: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    """The dashboard answers on the printed URL; a signal ends it with exit 0, no traceback."""
    port = free_port()
    process = subprocess.Popen(
        _server_command(small_catalog, tmp_path / "data", port),
        cwd=tmp_path,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, timeout=30)
        assert 200 == httpx.get(f"http://127.0.0.1:{port}/api/services/stock").status_code
        assert "<svg" in httpx.get(f"http://127.0.0.1:{port}/map").text
        process.send_signal(stop)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert 0 == process.returncode, err
    assert f"http://127.0.0.1:{port}/" in out
    assert "Interlock stopped." in out
    assert "Application shutdown complete" in err
    assert "Traceback" not in err
    assert (tmp_path / "data" / "interlock.db").is_file()


@pytest.mark.server
def test_threaded_server_serves_the_example_shop(shop_server: str) -> None:
    with httpx.Client(base_url=shop_server) as client:
        services = [row["name"] for row in client.get("/api/services").json()]
        assert ["gateway", "inventory", "orders", "payments"] == services
        assert 200 == client.get("/services/orders").status_code
        assert 200 == client.get("/api/openapi.json").status_code


def test_bad_port_variable_exits_2_naming_it(small_catalog: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        _server_command(small_catalog, tmp_path, 1)[:4],
        cwd=tmp_path,
        env=_environment(INTERLOCK_PORT="abc"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert 2 == result.returncode
    assert "INTERLOCK_PORT='abc': expected a port number from 1 to 65535" in _one_line(
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_port_in_use_exits_2_with_advice(small_catalog: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            _server_command(small_catalog, tmp_path / "data", port),
            cwd=tmp_path,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert 2 == result.returncode
    assert f"cannot listen on 127.0.0.1:{port}" in _one_line(result.stderr)
    assert "--port" in result.stderr


def test_missing_catalog_directory_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        _server_command(tmp_path / "nowhere", tmp_path / "data", free_port()),
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert 2 == result.returncode
    assert f"catalog directory {tmp_path / 'nowhere'} does not exist" in _one_line(result.stderr)


def _serve(catalog: Path, data: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _server_command(catalog, data, port),
        cwd=data.parent,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _binds_without_reuse(port: int) -> bool:
    with socket.socket() as plain:
        try:
            plain.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.server
def test_server_starts_again_at_once_on_the_port_it_just_left(
    small_catalog: Path, tmp_path: Path
) -> None:
    """A connection left in TIME-WAIT by the last run does not stop the next from listening."""
    port = free_port()
    first = _serve(small_catalog, tmp_path / "data", port)
    second = None
    try:
        wait_for_port(port, timeout=30)
        with httpx.Client() as client:  # keep-alive: the server closes it first, on shutdown
            assert 200 == client.get(f"http://127.0.0.1:{port}/api/services").status_code
            first.send_signal(signal.SIGTERM)
            first.communicate(timeout=20)
        # what the old check did: a plain bind, refused while the closed connection lingers
        assert not _binds_without_reuse(port)
        check_can_listen("127.0.0.1", port)
        second = _serve(small_catalog, tmp_path / "data", port)
        wait_for_port(port, timeout=30)
        assert 200 == httpx.get(f"http://127.0.0.1:{port}/api/services").status_code
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()
