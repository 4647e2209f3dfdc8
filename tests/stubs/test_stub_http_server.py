"""The stub's own HTTP/1.1 server: chunked request bodies, keep-alive, pipelining, bad requests."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from interlock.stubs import StubServer

pytestmark = pytest.mark.server

ECHO: dict[str, Any] = {
    "mappings": [
        {
            "request": {"method": "POST", "url": "/in", "bodyPatterns": [{"contains": "part-two"}]},
            "response": {"status": 200, "body": "got it"},
        },
        {"request": {"method": "GET", "url": "/a"}, "response": {"status": 200, "body": "A"}},
        {"request": {"method": "GET", "url": "/b"}, "response": {"status": 200, "body": "B"}},
        {
            "request": {"method": "GET", "url": "/slow"},
            "response": {"status": 200, "body": "S", "fixedDelayMilliseconds": 50},
        },
    ]
}


@pytest.fixture
def echo(stub_serve: Callable[..., StubServer], stub_files: Callable[[str, object], str]) -> str:
    return stub_serve("echo=" + stub_files("echo.json", ECHO)).app.urls["echo"]


def test_chunked_request_body_is_read_whole(echo: str) -> None:
    def parts() -> Iterator[bytes]:
        yield b"part-one "
        yield b"part-two"

    assert "got it" == httpx.post(f"{echo}/in", content=parts()).text


def test_keep_alive_serves_many_requests_on_one_connection(echo: str) -> None:
    with httpx.Client() as client:
        texts = [client.get(f"{echo}/{name}").text for name in "abab"]
    assert ["A", "B", "A", "B"] == texts


def test_pipelined_requests_are_answered_in_order(echo: str) -> None:
    host, port = echo.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.index(b"\r\n\r\nA") < data.index(b"\r\n\r\nB")
    assert 2 == data.count(b"HTTP/1.1 200 OK")


def test_a_waiting_request_keeps_its_place_before_pipelined_ones(echo: str) -> None:
    """A delayed answer goes out first; the requests queued behind it follow in order."""
    host, port = echo.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    bodies = [part.split(b"\r\n\r\n", 1)[1] for part in data.split(b"HTTP/1.1 200 OK")[1:]]
    assert [b"S", b"A", b"B"] == bodies


def test_garbage_request_line_gets_400(echo: str) -> None:
    host, port = echo.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")


def test_expect_100_continue_gets_its_interim_answer(echo: str) -> None:
    """curl sends `Expect: 100-continue` before big bodies and waits for the go-ahead."""
    host, port = echo.removeprefix("http://").split(":")
    body = b"part-two" + b"x" * 2000
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /in HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert data.endswith(b"got it")


def test_head_gets_headers_without_a_body(echo: str) -> None:
    host, port = echo.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"HEAD /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.endswith(b"\r\n\r\n")
    assert b"content-length: " in data.lower()
