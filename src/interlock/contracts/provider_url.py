"""The provider's URLs, checked before a verification runs anything.

A malformed URL, or one where nothing answers, is one usage error (exit 2), not the same
failure repeated for every interaction.
"""

from __future__ import annotations

import socket
from urllib.parse import SplitResult, urlsplit

from interlock.errors import UserInputError


def _parts(flag: str, url: str) -> tuple[SplitResult, int]:
    """The URL's parts and its port (the scheme's default when it names none)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number in range raises here
    except ValueError:
        raise UserInputError(f"{flag}: expected an http(s) URL, found {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserInputError(f"{flag}: expected an http(s) URL, found {url!r}")
    return parts, port or (443 if parts.scheme == "https" else 80)


def check_url(flag: str, url: str | None) -> None:
    """Raise `UserInputError` naming `flag` unless `url` (when given) is an http(s) URL."""
    if url is not None:
        _parts(flag, url)


def check_answers(flag: str, url: str, timeout_s: float) -> None:
    """Raise `UserInputError` when nothing accepts a connection at `url`'s host and port."""
    parts, port = _parts(flag, url)
    host = parts.hostname or ""
    # host and port only: user:password@ in the URL must not reach an error message
    shown = f"[{host}]" if ":" in host else host
    origin = f"{parts.scheme}://{shown}" + (f":{parts.port}" if parts.port else "")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except ConnectionRefusedError:
        reason = "connection refused"
    except socket.gaierror:
        reason = f"no such host {host!r}"
    except TimeoutError:
        reason = f"no connection within {timeout_s:g}s"
    except OSError as error:
        reason = error.strerror or str(error)
    raise UserInputError(f"{flag}: nothing answers at {origin} ({reason})")
