"""The control API answers as Toxiproxy's documentation shows (requests as curl would send them)."""

from __future__ import annotations

import socket

import httpx
import pytest

pytestmark = pytest.mark.server


def _listens(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) == 0


def test_version_answers_a_toxiproxy_2_version(chaos_api: httpx.Client) -> None:
    response = chaos_api.get("/version")

    assert 200 == response.status_code
    assert response.json()["version"].startswith("2.")


def test_create_proxy_answers_201_with_the_proxy_and_picks_a_port(
    chaos_api: httpx.Client, chaos_upstream: str
) -> None:
    response = chaos_api.post(
        "/proxies", json={"name": "redis", "listen": "127.0.0.1:0", "upstream": chaos_upstream}
    )

    assert 201 == response.status_code
    body = response.json()
    assert ["name", "listen", "upstream", "enabled", "toxics"] == list(body)
    assert ("redis", chaos_upstream, True, []) == (
        body["name"],
        body["upstream"],
        body["enabled"],
        body["toxics"],
    )
    assert not body["listen"].endswith(":0")
    assert _listens(body["listen"])
    assert {"redis": body} == chaos_api.get("/proxies").json()
    assert body == chaos_api.get("/proxies/redis").json()


def test_duplicate_proxy_name_is_409(chaos_api: httpx.Client, chaos_upstream: str) -> None:
    proxy = {"name": "redis", "listen": "127.0.0.1:0", "upstream": chaos_upstream}
    assert 201 == chaos_api.post("/proxies", json=proxy).status_code

    response = chaos_api.post("/proxies", json=proxy)

    assert 409 == response.status_code
    assert {"error": "proxy already exists", "status": 409} == response.json()


def test_unknown_proxy_and_toxic_are_404(chaos_api: httpx.Client, chaos_upstream: str) -> None:
    missing = {"error": "proxy not found", "status": 404}
    assert missing == chaos_api.get("/proxies/nope").json()
    assert 404 == chaos_api.delete("/proxies/nope").status_code
    assert 404 == chaos_api.get("/proxies/nope/toxics").status_code
    assert 404 == chaos_api.post("/proxies/nope/toxics", json={"type": "latency"}).status_code

    chaos_api.post("/proxies", json={"name": "db", "upstream": chaos_upstream})
    response = chaos_api.get("/proxies/db/toxics/nope")
    assert 404 == response.status_code
    assert {"error": "toxic not found", "status": 404} == response.json()
    assert 404 == chaos_api.delete("/proxies/db/toxics/nope").status_code


def test_missing_fields_and_bad_bodies_are_400(chaos_api: httpx.Client) -> None:
    no_upstream = chaos_api.post("/proxies", json={"name": "x"})
    assert {"error": "missing required field: upstream", "status": 400} == no_upstream.json()
    assert 400 == chaos_api.post("/proxies", json={"upstream": "127.0.0.1:1"}).status_code

    not_json = chaos_api.post("/proxies", content=b"{nope")
    assert 400 == not_json.status_code
    assert not_json.json()["error"].startswith("bad request body: ")


def test_toxic_lifecycle_as_documented(chaos_api: httpx.Client, chaos_upstream: str) -> None:
    """Create with defaults, list, show, update (merging attributes), delete."""
    chaos_api.post("/proxies", json={"name": "db", "upstream": chaos_upstream})

    created = chaos_api.post(
        "/proxies/db/toxics", json={"type": "latency", "attributes": {"latency": 1000}}
    )
    assert 200 == created.status_code
    expected = {
        "attributes": {"latency": 1000, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    assert expected == created.json()
    assert [expected] == chaos_api.get("/proxies/db/toxics").json()
    assert expected == chaos_api.get("/proxies/db/toxics/latency_downstream").json()
    assert [expected] == chaos_api.get("/proxies/db").json()["toxics"]

    updated = chaos_api.post(
        "/proxies/db/toxics/latency_downstream",
        json={"attributes": {"jitter": 50}, "toxicity": 0.5},
    )
    assert 200 == updated.status_code
    assert {"latency": 1000, "jitter": 50} == updated.json()["attributes"]
    assert 0.5 == updated.json()["toxicity"]

    assert 204 == chaos_api.delete("/proxies/db/toxics/latency_downstream").status_code
    assert [] == chaos_api.get("/proxies/db/toxics").json()


def test_toxics_list_upstream_first(chaos_api: httpx.Client, chaos_upstream: str) -> None:
    chaos_api.post("/proxies", json={"name": "db", "upstream": chaos_upstream})
    chaos_api.post("/proxies/db/toxics", json={"type": "bandwidth", "attributes": {"rate": 1}})
    chaos_api.post(
        "/proxies/db/toxics",
        json={"name": "slow_up", "type": "slicer", "stream": "upstream", "toxicity": 0.25},
    )

    toxics = chaos_api.get("/proxies/db/toxics").json()

    assert ["slow_up", "bandwidth_downstream"] == [toxic["name"] for toxic in toxics]
    assert {"average_size": 0, "size_variation": 0, "delay": 0} == toxics[0]["attributes"]


def test_bad_toxics_are_refused(chaos_api: httpx.Client, chaos_upstream: str) -> None:
    chaos_api.post("/proxies", json={"name": "db", "upstream": chaos_upstream})
    toxics = "/proxies/db/toxics"

    bad_type = chaos_api.post(toxics, json={"type": "explode"})
    assert {"error": "invalid toxic type", "status": 400} == bad_type.json()
    bad_stream = chaos_api.post(toxics, json={"type": "latency", "stream": "sideways"})
    assert 400 == bad_stream.status_code
    assert "upstream or downstream" in bad_stream.json()["error"]
    bad_attribute = chaos_api.post(
        toxics, json={"type": "latency", "attributes": {"latency": "slow"}}
    )
    assert 400 == bad_attribute.status_code
    assert "$.attributes.latency" in bad_attribute.json()["error"]
    negative = chaos_api.post(toxics, json={"type": "bandwidth", "attributes": {"rate": -1}})
    assert 400 == negative.status_code
    toxicity = chaos_api.post(toxics, json={"type": "timeout", "toxicity": 2})
    assert 400 == toxicity.status_code

    assert 200 == chaos_api.post(toxics, json={"type": "timeout"}).status_code
    duplicate = chaos_api.post(toxics, json={"type": "timeout"})
    assert {"error": "toxic already exists", "status": 409} == duplicate.json()


def test_populate_creates_then_keeps_unchanged_proxies(
    chaos_api: httpx.Client, chaos_upstream: str
) -> None:
    """`POST /populate` is safe to repeat: a proxy with the same addresses keeps its toxics."""
    proxies = [
        {"name": "one", "listen": "127.0.0.1:0", "upstream": chaos_upstream},
        {"name": "two", "listen": "127.0.0.1:0", "upstream": chaos_upstream, "enabled": False},
    ]
    first = chaos_api.post("/populate", json=proxies)
    assert 201 == first.status_code
    created = first.json()["proxies"]
    assert [("one", True), ("two", False)] == [(p["name"], p["enabled"]) for p in created]

    chaos_api.post("/proxies/one/toxics", json={"type": "latency"})
    again = [{"name": "one", "listen": created[0]["listen"], "upstream": chaos_upstream}]
    second = chaos_api.post("/populate", json=again)

    assert 201 == second.status_code
    assert ["latency_downstream"] == [t["name"] for t in second.json()["proxies"][0]["toxics"]]


def test_populate_replaces_a_proxy_whose_upstream_changed(
    chaos_api: httpx.Client, chaos_upstream: str
) -> None:
    chaos_api.post("/proxies", json={"name": "one", "upstream": chaos_upstream})
    chaos_api.post("/proxies/one/toxics", json={"type": "latency"})

    response = chaos_api.post("/populate", json=[{"name": "one", "upstream": "127.0.0.1:1"}])

    assert 201 == response.status_code
    assert "127.0.0.1:1" == response.json()["proxies"][0]["upstream"]
    assert [] == chaos_api.get("/proxies/one/toxics").json()


def test_populate_error_names_the_proxy_and_changes_nothing(chaos_api: httpx.Client) -> None:
    body = [{"name": "ok", "upstream": "127.0.0.1:1"}, {"name": "broken"}]

    response = chaos_api.post("/populate", json=body)

    assert 400 == response.status_code
    expected = {"error": "missing required field: upstream at proxy 2", "status": 400}
    assert {**expected, "proxies": None} == response.json()
    assert {} == chaos_api.get("/proxies").json()


def test_reset_enables_every_proxy_and_removes_every_toxic(
    chaos_api: httpx.Client, chaos_upstream: str
) -> None:
    chaos_api.post("/proxies", json={"name": "db", "upstream": chaos_upstream})
    chaos_api.post("/proxies/db/toxics", json={"type": "timeout"})
    chaos_api.post("/proxies/db", json={"enabled": False})

    response = chaos_api.post("/reset")

    assert 204 == response.status_code
    proxy = chaos_api.get("/proxies/db").json()
    assert (True, []) == (proxy["enabled"], proxy["toxics"])
    assert _listens(proxy["listen"])


def test_update_moves_the_proxy_to_a_new_listen_address(
    chaos_api: httpx.Client, chaos_upstream: str
) -> None:
    old = chaos_api.post("/proxies", json={"name": "db", "upstream": chaos_upstream}).json()

    moved = chaos_api.post("/proxies/db", json={"listen": "127.0.0.1:0"}).json()

    assert moved["enabled"]
    assert not _listens(old["listen"])
    assert _listens(moved["listen"])


def test_delete_proxy_stops_listening(chaos_api: httpx.Client, chaos_upstream: str) -> None:
    proxy = chaos_api.post("/proxies", json={"name": "db", "upstream": chaos_upstream}).json()

    assert 204 == chaos_api.delete("/proxies/db").status_code
    assert not _listens(proxy["listen"])
    assert {} == chaos_api.get("/proxies").json()


def test_a_browser_is_refused(chaos_api: httpx.Client) -> None:
    """As Toxiproxy: a web page must not be able to open ports through the API."""
    response = chaos_api.get("/proxies", headers={"User-Agent": "Mozilla/5.0 (X11)"})

    assert 403 == response.status_code
