"""The dashboard's HTML pages, through an in-process client over a small catalog."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import httpx

from interlock.web import CHAPTERS, SECTIONS


def test_home_lists_every_chapter_and_says_which_are_live(client: httpx.Client) -> None:
    html = client.get("/").text
    assert "The map" in html
    live = {section.key for section in SECTIONS if section.live}
    expected = sum(1 for chapter in CHAPTERS if set(chapter.sections) <= live)
    assert expected == html.count("badge-live")
    assert "What broke, and why" in html
    assert "No findings" in html


def test_navigation_names_every_capability_and_marks_unbuilt_ones(client: httpx.Client) -> None:
    html = client.get("/services").text
    for section in SECTIONS:
        assert f'href="{section.path}"' in html
    nav = html[html.index("<nav") : html.index("</nav>")]
    assert sum(not s.live for s in SECTIONS) == nav.count("badge-coming")
    assert 'aria-current="page"' in nav


def test_incidents_section_is_live_and_says_how_to_send_alerts(client: httpx.Client) -> None:
    """The last "coming" section shipped: /incidents lists incidents (none yet)."""
    response = client.get("/incidents")
    assert 200 == response.status_code
    assert "not built yet" not in response.text
    assert "/api/alerts/alertmanager" in response.text


def test_map_page_embeds_svg_where_every_service_is_a_link(client: httpx.Client) -> None:
    html = client.get("/map").text
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    ElementTree.fromstring(svg)  # well-formed XML
    links = set(re.findall(r'<a href="(/services/[^"]+)"', svg))
    assert {"/services/stock", "/services/storefront"} == links


def test_services_page_is_a_table_of_services(client: httpx.Client) -> None:
    html = client.get("/services").text
    assert '<a href="/services/stock">stock</a>' in html
    assert '<a href="/services/storefront">storefront</a>' in html
    assert "team-stock" in html


def test_service_page_shows_owner_apis_calls_and_tables(client: httpx.Client) -> None:
    html = client.get("/services/storefront").text
    assert '<dd class="owner">team-web</dd>' in html
    assert '<a href="/apis/stock-api/definition">definition</a>' in html
    assert '<a href="/services/stock">stock</a>' in html
    assert "stockdb.items" in html
    assert "storefront-web" in html


def test_api_definition_link_serves_the_file(client: httpx.Client) -> None:
    response = client.get("/apis/stock-api/definition")
    assert 200 == response.status_code
    assert response.text.startswith("openapi: 3.0.3")


def test_unknown_service_page_is_404_with_did_you_mean(client: httpx.Client) -> None:
    response = client.get("/services/storefrnt")
    assert 404 == response.status_code
    assert "text/html" in response.headers["content-type"]
    assert '<a href="/services/storefront">' in response.text


def test_unknown_page_is_an_html_404(client: httpx.Client) -> None:
    response = client.get("/no/such/page")
    assert 404 == response.status_code
    assert "Nothing lives at /no/such/page." in response.text


def test_api_docs_page_lists_every_operation(client: httpx.Client) -> None:
    html = client.get("/api/docs").text
    for path in ("/api/catalog", "/api/map", "/api/services/{name}"):
        assert f"<code>{path}</code>" in html


def test_pages_fetch_nothing_from_other_hosts(client: httpx.Client) -> None:
    """The dashboard works offline: no page loads a script, style or image from elsewhere."""
    for path in ["/", "/map", "/services", "/services/stock", "/contracts", "/api/docs"]:
        html = client.get(path).text
        assert [] == re.findall(r'(?:src|href)="(?:https?:)?//[^"]*"', html), path
    css = client.get("/static/interlock.css")
    assert 200 == css.status_code
    assert "url(" not in css.text and "@import" not in css.text
