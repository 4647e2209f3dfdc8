"""Local TCP ports: pick a free one, wait until one answers."""

from __future__ import annotations

import socket
import time

from interlock.errors import UserInputError


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 15.0) -> None:
    """Block until something accepts connections on `host:port`, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def check_can_listen(host: str, port: int, hint: str = "choose another with --host/--port") -> None:
    """Raise a `UserInputError` now if nothing could listen on `host:port` (port in use, bad
    address), rather than after a server has announced itself and then died."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            # as servers bind: a port left in TIME_WAIT is usable, one that is listened on is not
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        reason = error.strerror or str(error)
        raise UserInputError(f"cannot listen on {host}:{port}: {reason} ({hint})") from None
