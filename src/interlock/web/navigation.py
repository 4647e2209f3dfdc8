"""The dashboard's sections and the demo's chapters, and which of them are live.

A capability that ships its pages flips its section to `live=True` here and mounts its
own router in `server.py`; until then the section shows a "coming" page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    """One entry of the navigation bar."""

    key: str
    title: str
    path: str
    live: bool
    summary: str


@dataclass(frozen=True)
class Chapter:
    """One chapter of the demo story; live when every section it needs is."""

    number: int
    title: str
    story: str
    sections: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section("map", "Map", "/map", True, "the services, APIs and databases, and how they connect"),
    Section("services", "Services", "/services", True, "every service, its owner and its ties"),
    Section("contracts", "Contracts", "/contracts", True, "HTTP and database contracts, verified"),
    Section(
        "stubs",
        "Stubs & environments",
        "/stubs",
        True,
        "dependencies served from contracts; service test environments",
    ),
    Section(
        "migrations", "Migrations", "/migrations", True, "lint, impact, dry run, rollback check"
    ),
    Section("traces", "Traces", "/traces", True, "OTLP traces and logs, the live service map"),
    Section("incidents", "Incidents", "/incidents", True, "alerts grouped on the map, root cause"),
    Section("perf", "Load tests", "/perf", True, "load tests per commit, thresholds, regressions"),
    Section("chaos", "Chaos", "/chaos", True, "experiments that verify timeouts and breakers"),
)

CHAPTERS: tuple[Chapter, ...] = (
    Chapter(
        1,
        "The map",
        "Four services and two databases, drawn from their descriptors.",
        ("map", "services"),
    ),
    Chapter(
        2,
        "Contracts",
        "The contracts between the services, verified against the real services when "
        "`interlock demo` starts.",
        ("contracts",),
    ),
    Chapter(
        3,
        "Testing one service alone",
        "gateway tested alone: `interlock demo --stub orders,inventory` serves its "
        "dependencies by stubs made from those contracts.",
        ("contracts", "stubs"),
    ),
    Chapter(
        4,
        "A dangerous migration",
        "A migration in inventory that would break orders, caught by lint, impact and dry "
        "run; its expand/contract version passing. `interlock demo` saves both reports.",
        ("migrations",),
    ),
    Chapter(
        5,
        "What broke, and why",
        "Traffic with traces and logs; a fault injected into payments; the waterfall shows "
        "it and root-cause analysis names it first.",
        ("traces",),
    ),
    Chapter(
        7,
        "The broker and can-i-deploy",
        "The shop's pacts and database contract published to the broker, verified, every "
        "service deployed to production; can-i-deploy says no for the rename migration.",
        ("contracts",),
    ),
)


def section(key: str) -> Section:
    """The section called `key` (KeyError for a name that is not in the navigation)."""
    return next(s for s in SECTIONS if s.key == key)


def chapter_is_live(chapter: Chapter) -> bool:
    return all(section(key).live for key in chapter.sections)


def chapter_json(chapter: Chapter) -> dict[str, Any]:
    """A chapter as the home page's JSON twin gives it: its text, its sections, whether live."""
    return {
        "number": chapter.number,
        "title": chapter.title,
        "story": chapter.story,
        "sections": [section(key).path for key in chapter.sections],
        "live": chapter_is_live(chapter),
    }


def coming_sections() -> list[Section]:
    """Sections not built yet: each gets a page that says so."""
    return [s for s in SECTIONS if not s.live]
