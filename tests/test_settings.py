"""Settings: flag > INTERLOCK_* variable > [tool.interlock] in pyproject.toml > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.errors import SourceError, UserInputError
from interlock.settings import Settings, load_settings


def _pyproject(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text(f'[project]\nname = "shop"\n\n[tool.interlock]\n{body}')


def test_defaults_without_any_configuration(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)
    assert "127.0.0.1" == settings.host
    assert 7878 == settings.port
    assert tmp_path / ".interlock" == settings.data_dir
    assert f"sqlite:///{tmp_path}/.interlock/interlock.db" == settings.database_url
    assert tmp_path == settings.catalog_dir
    assert "http://127.0.0.1:7878/" == settings.url


def test_flag_beats_environment_beats_pyproject(tmp_path: Path) -> None:
    _pyproject(tmp_path, 'port = 9000\nhost = "0.0.0.0"\ndata-dir = "state"\n')
    environ = {"INTERLOCK_PORT": "9100"}
    assert 9200 == load_settings(port=9200, environ=environ, cwd=tmp_path).port
    from_env = load_settings(environ=environ, cwd=tmp_path)
    assert 9100 == from_env.port
    assert "0.0.0.0" == from_env.host
    assert tmp_path / "state" == from_env.data_dir
    assert 9000 == load_settings(environ={}, cwd=tmp_path).port


def test_database_url_follows_data_dir_unless_set(tmp_path: Path) -> None:
    moved = load_settings(data_dir=Path("elsewhere"), environ={}, cwd=tmp_path)
    assert f"sqlite:///{tmp_path}/elsewhere/interlock.db" == moved.database_url
    environ = {"INTERLOCK_DATABASE_URL": "postgresql://interlock@db/interlock"}
    assert environ["INTERLOCK_DATABASE_URL"] == (
        load_settings(environ=environ, cwd=tmp_path).database_url
    )


def test_catalog_dir_from_environment_is_made_absolute(tmp_path: Path) -> None:
    settings = load_settings(environ={"INTERLOCK_CATALOG_DIR": "catalog"}, cwd=tmp_path)
    assert tmp_path / "catalog" == settings.catalog_dir


def test_bad_port_in_environment_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(UserInputError) as raised:
        load_settings(environ={"INTERLOCK_PORT": "abc"}, cwd=tmp_path)
    assert "INTERLOCK_PORT='abc': expected a port number from 1 to 65535" == str(raised.value)


def test_bad_port_flag_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match=r"^--port=70000: expected a port number"):
        load_settings(port=70000, environ={}, cwd=tmp_path)


def test_bad_value_in_pyproject_names_the_file_line_and_key(tmp_path: Path) -> None:
    _pyproject(tmp_path, 'host = "127.0.0.1"\nport = "abc"\n')
    with pytest.raises(SourceError) as raised:
        load_settings(environ={}, cwd=tmp_path)
    assert str(tmp_path / "pyproject.toml") == raised.value.file
    assert 6 == raised.value.position.line
    assert "port" == raised.value.position.path
    assert "expected a port number" in raised.value.message


def test_bad_database_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match=r"^INTERLOCK_DATABASE_URL='mysql://x/y': expected"):
        load_settings(environ={"INTERLOCK_DATABASE_URL": "mysql://x/y"}, cwd=tmp_path)


def test_broken_pyproject_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.interlock\nport = 1\n")
    with pytest.raises(SourceError, match="not valid TOML"):
        load_settings(environ={}, cwd=tmp_path)


def test_settings_made_in_code_get_the_default_database() -> None:
    assert "sqlite:///state/interlock.db" == Settings(data_dir=Path("state")).database_url
