"""The state directory of an environment: its state file, `.env`, and what reads them.

`env status` and `env down` run in another process than `env up`, so they know the pieces
only from `state.json`: process groups by pgid (and start time, against pid reuse) and clusters by directory.
"""

from __future__ import annotations

import json
import os
import shlex
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx

from interlock.envs.model import EnvironmentState, PieceState, PieceStatus
from interlock.envs.postgres import postmaster_pid, stop_postgres
from interlock.errors import UserInputError
from interlock.processes import live_group_members, process_start_time, stop_process_groups

STATE_FILE = "state.json"
ENV_FILE = ".env"


def default_state_dir(name: str, root: Path | None = None) -> Path:
    """`.interlock/envs/NAME` under `root` (the working directory by default)."""
    return (root or Path.cwd()) / ".interlock" / "envs" / name


def write_state(state: EnvironmentState) -> None:
    """Write `state.json` and `.env` atomically (a reader never sees half a file)."""
    directory = Path(state.state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    _write(directory / STATE_FILE, json.dumps(state.to_json(), indent=2) + "\n")
    _write(directory / ENV_FILE, dotenv_text(state.variables))


def _write(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def dotenv_text(variables: dict[str, str]) -> str:
    """`KEY=value` lines, values quoted the way a shell and dotenv readers both accept."""
    lines = [f"{key}={shlex.quote(value)}" for key, value in variables.items()]
    return "\n".join(lines) + ("\n" if lines else "")


def read_state(state_dir: Path) -> EnvironmentState | None:
    """The recorded state, or None when no environment is up in `state_dir`."""
    path = state_dir / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise UserInputError(f"{path}: not a readable environment state file: {error}") from None
    return EnvironmentState.from_json(data)


def require_state(state_dir: Path) -> EnvironmentState:
    state = read_state(state_dir)
    if state is None:
        raise UserInputError(f"{state_dir}: no environment is up here (no {STATE_FILE})")
    return state


def _leader_is_ours(piece: PieceState) -> bool:
    return piece.pid is not None and process_start_time(piece.pid) == piece.started


def piece_running(piece: PieceState) -> bool:
    """Does the recorded piece still run (a process group member, or the postmaster)?"""
    if piece.kind == "postgres":
        pid = postmaster_pid(Path(piece.base_dir) / "data") if piece.base_dir else None
        return pid is not None and process_start_time(pid) is not None
    if piece.pgid is None:
        return False
    if piece.pid is not None and process_start_time(piece.pid) not in (None, piece.started):
        return False  # the pid was reused by an unrelated process
    return bool(live_group_members(piece.pgid))


def piece_healthy(piece: PieceState) -> bool:
    """Does the piece answer: its health URL (2xx/3xx), or a PostgreSQL connection."""
    if not piece_running(piece):
        return False
    if piece.kind == "postgres" and piece.url:
        import psycopg

        try:
            with psycopg.connect(piece.url, connect_timeout=2):
                return True
        except psycopg.Error:
            return False
    if piece.health:
        try:
            return httpx.get(piece.health, timeout=2.0).status_code < 400
        except httpx.HTTPError:
            return False
    return True


def environment_status(state_dir: Path) -> tuple[EnvironmentState, list[PieceStatus]]:
    """Each recorded piece: its URL, pid, whether it runs and whether it answers."""
    state = require_state(state_dir)
    statuses = []
    for piece in state.pieces:
        running = piece_running(piece)
        pid = piece.pid
        if piece.kind == "postgres" and piece.base_dir:
            pid = postmaster_pid(Path(piece.base_dir) / "data")
        statuses.append(
            PieceStatus(
                piece.name,
                piece.kind,
                piece.url,
                pid,
                running,
                running and piece_healthy(piece),
            )
        )
    return state, statuses


def stop_pieces(pieces: list[PieceState], grace: float = 5.0) -> None:
    """Stop recorded pieces, newest first: process groups, then clusters (data removed)."""
    for piece in reversed(pieces):
        if piece.kind == "postgres" and piece.base_dir:
            stop_postgres(Path(piece.base_dir))
        elif piece.pgid is not None and (
            _leader_is_ours(piece) or process_start_time(piece.pgid) is None
        ):
            # A dead leader may have left children in its group: those are stopped too.
            stop_process_groups([piece.pgid], grace)


def stop_environment(state_dir: Path, grace: float = 5.0) -> EnvironmentState:
    """`env down`: stop every recorded piece, remove the state file and `.env`."""
    state = require_state(state_dir)
    stop_pieces(state.pieces, grace)
    clear_state(state_dir)
    return state


def clear_state(state_dir: Path) -> None:
    for name in (STATE_FILE, ENV_FILE):
        with suppress(FileNotFoundError):
            os.remove(state_dir / name)


def environment_dirs(data_dir: Path) -> list[Path]:
    """The state directories of the environments recorded under `data_dir/envs/`."""
    root = data_dir / "envs"
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir() if (d / STATE_FILE).is_file())


def stub_services(state: EnvironmentState) -> list[dict[str, Any]]:
    """Each stubbed service of the environment: its piece, name, URL and trust verdict (None
    unless it was served from a broker's pact)."""
    found = []
    for piece in state.pieces:
        if piece.kind != "stubs":
            continue
        trust_of: dict[str, Any] = piece.detail.get("trust", {})
        for name, url in piece.detail.get("services", {}).items():
            found.append(
                {"piece": piece.name, "name": name, "url": url, "trust": trust_of.get(name)}
            )
    return found
