"""The PostgreSQL database a migration check reads (`--database-url`), checked and connected.

A URL that is malformed, of another database, or that leads nowhere is one line naming the
flag and what is wrong, never a driver traceback, and never with the password in it.
"""

from __future__ import annotations

import os
import re
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from interlock.errors import UserInputError

EXPECTED = "expected postgresql://user@host:5432/database"
CONNECT_TIMEOUT_S = 10  # a host that drops packets would otherwise hang the command for minutes

_SCHEMES = ("postgresql", "postgres")
_URL_PASSWORD = re.compile(r"(?P<keep>://[^/?#@:]*:)[^/?#@]*(?=@)")
_KEY_PASSWORD = re.compile(r"(?P<keep>(?<![?&])\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'|\S+)")
_QUERY_PASSWORD = re.compile(r"(?P<keep>[?&]password=)[^&#\s\"]*")


def redact(text: str) -> str:
    """`text` (a URL, a conninfo string, or a message quoting one) with every password `***`."""
    for pattern in (_URL_PASSWORD, _KEY_PASSWORD, _QUERY_PASSWORD):
        text = pattern.sub(r"\g<keep>***", text)
    return text


def check_database_url(url: str, flag: str = "--database-url") -> dict[str, str]:
    """The connection parameters of `url`, a `postgresql://` URL or a libpq `key=value` string.

    Raises `UserInputError` naming `flag` for another database's URL or a malformed one.
    """
    shown = redact(url)
    scheme, has_scheme, _ = url.partition("://")
    if (has_scheme and scheme.lower() not in _SCHEMES) or not url.strip():
        raise UserInputError(f"{flag} {shown!r}: not a PostgreSQL URL: {EXPECTED}")
    try:
        params: dict[str, Any] = conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        if not has_scheme:  # neither a URL nor key=value pairs
            raise UserInputError(f"{flag} {shown!r}: not a PostgreSQL URL: {EXPECTED}") from None
        reason = str(error).strip().splitlines()[0]
        reason = re.sub(r'\s+in URI: ".*"$', "", reason)
        raise UserInputError(f"{flag} {shown!r}: malformed URL: {redact(reason)}") from None
    return {key: str(value) for key, value in params.items()}


def connect(url: str, flag: str = "--database-url", **options: Any) -> psycopg.Connection[Any]:
    """A connection to `url`; a refused, unknown or unreachable database is a `UserInputError`."""
    params = check_database_url(url, flag)
    if "connect_timeout" not in params and "PGCONNECT_TIMEOUT" not in os.environ:
        options.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    try:
        return psycopg.connect(url, **options)
    except psycopg.OperationalError as error:
        raise UserInputError(connection_problem(url, params, error, flag)) from None


def connection_problem(
    url: str, params: dict[str, str], error: Exception, flag: str = "--database-url"
) -> str:
    """One line for a failed connection: what is wrong, where, in the user's terms."""
    text = str(error)
    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    where = f"{host}:{port}" if not host.startswith("/") else f"the socket in {host} (port {port})"
    database = params.get("dbname") or params.get("user") or os.environ.get("PGDATABASE", "")
    found = re.search(r'database "(?P<name>[^"]*)" does not exist', text)
    if found:
        problem = f'database "{found["name"]}" does not exist on {where}'
    elif re.search(r"Connection refused|No such file or directory", text):
        problem = f"nothing listens at {where}"
    elif re.search(r"failed to resolve host|could not translate host name", text):
        problem = f"unknown host {host!r}"
    elif re.search(r"timeout expired|timed out", text):
        problem = (
            f"no answer from {where} (waited {params.get('connect_timeout', CONNECT_TIMEOUT_S)} s)"
        )
    else:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        last = lines[-1] if lines else type(error).__name__
        last = re.sub(
            r"^(connection (failed|is bad): )?connection to server .*? failed: ", "", last
        )
        problem = (
            f"cannot connect to {database!r} on {where}: {last.removeprefix('FATAL:').strip()}"
        )
    password = params.get("password")
    if password:
        problem = problem.replace(password, "***")
    return f"{flag} {redact(url)!r}: {redact(problem)}"
