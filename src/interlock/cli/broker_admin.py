"""`interlock broker token|audit|prune|webhook-runs`: the broker's administration, run on the
server's own database (--data-dir / --database-url), not over HTTP."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from interlock.cli.options import data_dir_option, database_url_option, interlock_database
from interlock.cli.output import Format, console, print_json

token_app = typer.Typer(
    help=(
        "Broker tokens with roles (read, publish, verify, admin). Once a token exists, every "
        "write to the broker needs one.\n\nExit codes: 0 success, 2 usage or input error."
    ),
    no_args_is_help=True,
)

DATA_DIR = data_dir_option()
DATABASE_URL = database_url_option()
FORMAT = typer.Option(Format.text, "--format", "-f", help="text or json.")


class Role(StrEnum):
    """A token's role (interlock.broker.ROLES)."""

    read = "read"
    publish = "publish"
    verify = "verify"
    admin = "admin"


def register(broker: typer.Typer) -> None:
    broker.add_typer(token_app, name="token")
    broker.command("audit")(audit)
    broker.command("prune")(prune)
    broker.command("webhook-runs")(webhook_runs)


def _token_json(token: Any) -> dict[str, Any]:
    return {
        "name": token.name,
        "role": token.role,
        "createdAt": token.created_at.isoformat(),
        "revokedAt": None if token.revoked_at is None else token.revoked_at.isoformat(),
    }


@token_app.command("create")
def create(
    role: Role = typer.Option(..., "--role", help="What the token may do."),
    name: str | None = typer.Option(None, "--name", help="A name to know it by (and revoke it)."),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    output: Format = FORMAT,
) -> None:
    """Make a token; it is printed once and stored only as a digest.

    Exit codes: 0 made, 2 bad input (an unknown role) or an unusable database.
    """
    from interlock.broker import create_token

    with interlock_database(data_dir, database_url) as engine:
        made = create_token(engine, role.value, name)
    if output is Format.json:
        print_json({**_token_json(made.token), "token": made.secret})
        return
    console.print(f"token {escape(made.token.name)} (role {made.token.role}):")
    console.print(made.secret)
    console.print(
        "[dim]Shown once. Pact clients: --broker-token or PACT_BROKER_TOKEN; Interlock: "
        "--broker-token or INTERLOCK_BROKER_TOKEN.[/]"
    )


@token_app.command("list")
def list_(
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    output: Format = FORMAT,
) -> None:
    """Every token's name, role and state (never its secret).

    Exit codes: 0 listed (also when there is none), 2 bad input or an unusable database.
    """
    from interlock.broker import list_tokens

    with interlock_database(data_dir, database_url) as engine:
        found = list_tokens(engine)
    if output is Format.json:
        print_json([_token_json(t) for t in found])
        return
    for token in found:
        state = "revoked" if token.revoked_at else "active"
        console.print(f"{escape(token.name)}  {token.role}  {state}  {token.created_at:%Y-%m-%d}")


@token_app.command("revoke")
def revoke(
    name: str = typer.Option(..., "--name", help="The token's name."),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    output: Format = FORMAT,
) -> None:
    """Revoke a token: the broker refuses it from now on.

    Exit codes: 0 revoked, 2 an unknown token, bad input or an unusable database.
    """
    from interlock.broker import revoke_token

    with interlock_database(data_dir, database_url) as engine:
        token = revoke_token(engine, name)
    if output is Format.json:
        print_json(_token_json(token))
    else:
        console.print(f"revoked {escape(token.name)}")


def audit(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many writes to show."),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    output: Format = FORMAT,
) -> None:
    """The latest writes to the broker: who, when, what, and whether it was allowed.

    Exit codes: 0 listed, 2 bad input or an unusable database.
    """
    from interlock.broker import audit_trail

    with interlock_database(data_dir, database_url) as engine:
        entries = audit_trail(engine, limit)
    if output is Format.json:
        print_json([e.to_json() for e in entries])
        return
    for e in entries:
        who = e.actor if e.role is None else f"{e.actor} ({e.role})"
        console.print(
            f"{e.occurred_at:%Y-%m-%d %H:%M:%S}  {e.status}  {escape(who)}  "
            f"{e.method} {escape(e.path)}  [dim]{escape(e.client or '')}[/]"
        )


def prune(
    older_than_days: float = typer.Option(
        30.0, "--older-than-days", min=0, help="Keep every version younger than this."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count, remove nothing."),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    output: Format = FORMAT,
) -> None:
    """Remove old versions that are not deployed, released, a branch head, or needed by the
    matrix; print what was kept and why.

    Exit codes: 0 pruned (also when nothing was), 2 bad input or an unusable database.
    """
    from interlock.broker import prune_versions

    with interlock_database(data_dir, database_url) as engine:
        report = prune_versions(engine, older_than_days, dry_run=dry_run)
    if output is Format.json:
        print_json(report.to_json())
        return
    verb = "would remove" if dry_run else "removed"
    console.print(
        f"{report.versions} versions: {verb} {report.removed_versions}, "
        f"{report.removed_contents} contents, {report.removed_verifications} verifications"
    )
    kept = ", ".join(f"{reason} {count}" for reason, count in report.kept_because.items())
    console.print(f"kept because: {kept}")


def webhook_runs(
    webhook: str | None = typer.Option(None, "--webhook", help="One webhook's uuid."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many runs to show."),
    data_dir: Path | None = DATA_DIR,
    database_url: str | None = DATABASE_URL,
    output: Format = FORMAT,
) -> None:
    """The latest webhook delivery attempts: event, attempt, answer.

    Exit codes: 0 listed, 2 bad input or an unusable database.
    """
    from interlock.broker import webhook_runs as runs_of

    with interlock_database(data_dir, database_url) as engine:
        runs = runs_of(engine, webhook, limit)
    if output is Format.json:
        print_json([r.to_json() for r in runs])
        return
    for r in runs:
        outcome = "[green]ok[/]" if r.success else "[red]failed[/]"
        answer = r.status if r.status is not None else escape(r.error or "")
        console.print(
            f"{r.occurred_at:%Y-%m-%d %H:%M:%S}  {r.event}  attempt {r.attempt}  {outcome}  "
            f"{answer}  {escape(r.request['method'])} {escape(r.request['url'])}"
        )
