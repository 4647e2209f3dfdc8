"""`interlock chaos proxy`: its config file (Toxiproxy's populate JSON) and its process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from interlock.errors import SourceError
from interlock.ports import free_port, wait_for_port
from interlock.stubs import ProxySpec, load_proxy_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "proxies.json"
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(SourceError) as caught:
        load_proxy_config(path)
    return str(caught.value)


def test_config_is_toxiproxy_populate_json(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """[
          {"name": "web_dev_frontend_1", "listen": "[::]:18080", "upstream": "web:8080",
           "enabled": true},
          {"name": "db", "upstream": "127.0.0.1:5432"}
        ]""",
    )

    assert [
        ProxySpec("web_dev_frontend_1", "web:8080", "[::]:18080", True),
        ProxySpec("db", "127.0.0.1:5432", "127.0.0.1:0", True),
    ] == load_proxy_config(path)


def test_config_errors_name_the_file_and_the_place(tmp_path: Path) -> None:
    broken = _write(tmp_path, '[\n  {"name": "db",}\n]')
    assert _error(broken).startswith(f"{broken}:2:")

    cases = {
        '{"name": "db"}': "$: expected an array of proxies",
        '[{"name": "db"}]': "$[0].upstream: missing required field: upstream at proxy 1",
        '[{"name": "db", "upstream": "nowhere"}]': "$[0].upstream: expected host:port",
        '[{"name": "a", "upstream": "h:1", "enabled": "yes"}]': "$[0].enabled: expected true",
        '[{"name": "a", "upstream": "h:1", "toxics": []}]': "$[0].toxics: unknown field",
        '[{"name": "a", "upstream": "h:1"}, {"name": "a", "upstream": "h:2"}]': "$[1].name",
    }
    for text, expected in cases.items():
        message = _error(_write(tmp_path, text))
        assert message.startswith(str(tmp_path / "proxies.json") + ":"), message
        assert expected in message, message


def test_cli_bad_config_exits_2_without_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, '[{"name": "db"}]')

    done = subprocess.run(
        [sys.executable, "-m", "interlock", "chaos", "proxy", "--port", "0", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert 2 == done.returncode
    printed = "".join(done.stderr.split())  # Rich wraps long lines to the terminal width
    assert f"{path}:$[0].upstream:missingrequiredfield:upstream" in printed
    assert "Traceback" not in done.stderr


@pytest.mark.server
def test_cli_serves_the_config_until_interrupted(tmp_path: Path) -> None:
    api_port, proxy_port = free_port(), free_port()
    proxies = [{"name": "db", "listen": f"127.0.0.1:{proxy_port}", "upstream": "127.0.0.1:1"}]
    path = _write(tmp_path, json.dumps(proxies))
    command = ["chaos", "proxy", "--port", str(api_port), "--config", str(path)]
    process = subprocess.Popen(
        [sys.executable, "-m", "interlock", *command, "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(api_port, timeout=30)
        listed = httpx.get(f"http://127.0.0.1:{api_port}/proxies", timeout=5).json()
        assert f"127.0.0.1:{proxy_port}" == listed["db"]["listen"]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)

    assert 0 == process.returncode, err
    assert ["db"] == [proxy["name"] for proxy in json.loads(out)["proxies"]]
