"""One way to talk to ClickHouse, in process (chdb) or over HTTP (clickhouse-connect).

Both run the same SQL: statements in, JSONCompact rows out, JSONCompactEachRow rows in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from interlock.errors import UserInputError

SCHEMES = ("clickhouse", "chdb")
DEFAULT_DATABASE = "otel"  # the exporter's default database
_EXAMPLES = "clickhouse://user:password@host:8123/otel or chdb:///path/to/dir?database=otel"


@dataclass(frozen=True)
class ClickHouseLocation:
    """Where a ClickHouse store is: a server (host, port, user) or a chdb directory."""

    url: str
    database: str
    path: Path | None = None  # chdb
    host: str = ""
    port: int = 8123
    username: str = "default"
    password: str = ""
    secure: bool = False

    @property
    def display(self) -> str:
        """The URL without its password, for messages."""
        if self.path is not None:
            return f"chdb://{self.path}?database={self.database}"
        return f"clickhouse://{self.username}@{self.host}:{self.port}/{self.database}"


def is_clickhouse_url(url: str) -> bool:
    """True for the URLs the ClickHouse store takes (`clickhouse://`, `clickhouse+https://`, `chdb://`)."""
    return url.partition("://")[0] in (*SCHEMES, "clickhouse+https", "clickhouses")


def parse_location(url: str, source: str = "--span-store") -> ClickHouseLocation:
    """Read a ClickHouse URL; UserInputError naming `source` when it is not one."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.scheme == "chdb":
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/"):
            raise UserInputError(
                f"{source} {url!r}: expected chdb:///absolute/path (three slashes)"
            )
        return ClickHouseLocation(
            url, _database(query.get("database", DEFAULT_DATABASE), url, source), Path(path)
        )
    if parts.scheme not in ("clickhouse", "clickhouse+https", "clickhouses") or not parts.hostname:
        raise UserInputError(f"{source} {url!r}: expected a ClickHouse URL such as {_EXAMPLES}")
    secure = parts.scheme != "clickhouse"
    try:
        port = parts.port or (8443 if secure else 8123)
    except ValueError:
        raise UserInputError(f"{source} {url!r}: the port is not a number") from None
    database = parts.path.strip("/") or query.get("database", DEFAULT_DATABASE)
    return ClickHouseLocation(
        url=url,
        database=_database(database, url, source),
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or "default"),
        password=unquote(parts.password or ""),
        secure=secure,
    )


def _database(name: str, url: str, source: str) -> str:
    if not name.replace("_", "").isalnum():
        raise UserInputError(f"{source} {url!r}: database {name!r}: expected letters, digits and _")
    return name


def quote(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class ClickHouseConnection(Protocol):
    """The three things the store asks of ClickHouse."""

    location: ClickHouseLocation

    def command(self, sql: str) -> None: ...

    def rows(self, sql: str) -> list[list[Any]]: ...

    def insert(self, table: str, columns: tuple[str, ...], payload: bytes) -> None: ...

    def close(self) -> None: ...


_READ_SETTINGS = " SETTINGS output_format_json_quote_64bit_integers = 0"


def _parse(raw: bytes) -> list[list[Any]]:
    if not raw.strip():
        return []
    data: list[list[Any]] = orjson.loads(raw)["data"]
    return data


class ChdbConnection:
    """ClickHouse in this process: one data directory per process (chdb's own limit).

    The session is shared by every store of the process and used under one lock.
    """

    _sessions: ClassVar[dict[Path, tuple[Any, threading.Lock]]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, location: ClickHouseLocation) -> None:
        assert location.path is not None
        self.location = location
        with self._guard:
            found = self._sessions.get(location.path)
            if found is None:
                if self._sessions:
                    (other,) = self._sessions
                    raise UserInputError(
                        f"{location.display}: chdb holds one data directory per process and "
                        f"{other} is open; use that one, or a ClickHouse server"
                    )
                from chdb import session  # imported when used: it loads the whole engine

                location.path.mkdir(parents=True, exist_ok=True)
                engine: Any = session.Session(str(location.path))  # type: ignore[no-untyped-call]  # chdb has no annotations
                found = (engine, threading.Lock())
                self._sessions[location.path] = found
        self._session: Any = found[0]
        self._lock = found[1]

    def _query(self, sql: str, fmt: str = "CSV") -> Any:
        with self._lock:
            try:
                return self._session.query(sql, fmt)
            except RuntimeError as error:  # chdb's ChdbError: the engine refused the statement
                raise ClickHouseError(str(error)) from None

    def command(self, sql: str) -> None:
        self._query(sql)

    def rows(self, sql: str) -> list[list[Any]]:
        return _parse(self._query(sql + _READ_SETTINGS, "JSONCompact").bytes())

    def insert(self, table: str, columns: tuple[str, ...], payload: bytes) -> None:
        names = ", ".join(f"`{c}`" for c in columns)
        self._query(
            f"INSERT INTO {self.location.database}.{table} ({names}) FORMAT JSONCompactEachRow\n"
            + payload.decode()
        )

    def close(self) -> None:
        """Nothing: the session lives as long as the process (chdb cannot reopen another)."""


class HttpConnection:
    """A ClickHouse server over HTTP (clickhouse-connect)."""

    def __init__(self, location: ClickHouseLocation) -> None:
        import clickhouse_connect  # imported when used

        self.location = location
        try:
            self._client = clickhouse_connect.get_client(
                host=location.host,
                port=location.port,
                username=location.username,
                password=location.password,
                secure=location.secure,
                database="default",  # the store's database may not exist before init-store
                autogenerate_session_id=False,  # several threads share the client
            )
        except Exception as error:
            raise UserInputError(f"{location.display}: cannot connect ({error})") from None
        self._lock = threading.Lock()

    def command(self, sql: str) -> None:
        with self._lock, _server_errors():
            self._client.command(sql)

    def rows(self, sql: str) -> list[list[Any]]:
        with self._lock, _server_errors():
            raw = self._client.raw_query(sql + _READ_SETTINGS, fmt="JSONCompact")
        return _parse(raw)

    def insert(self, table: str, columns: tuple[str, ...], payload: bytes) -> None:
        with self._lock, _server_errors():
            self._client.raw_insert(
                f"{self.location.database}.{table}",
                list(columns),
                payload,
                fmt="JSONCompactEachRow",
            )

    def close(self) -> None:
        self._client.close()


class ClickHouseError(Exception):
    """ClickHouse refused a statement (our bug, or a server that is down)."""


@contextmanager
def _server_errors() -> Iterator[None]:
    from clickhouse_connect.driver.exceptions import ClickHouseError as ServerError

    try:
        yield
    except ServerError as error:
        raise ClickHouseError(str(error)) from None


def connect(location: ClickHouseLocation) -> ClickHouseConnection:
    """A connection to `location`: chdb in process for `chdb://`, else HTTP."""
    if location.path is not None:
        return ChdbConnection(location)
    return HttpConnection(location)
