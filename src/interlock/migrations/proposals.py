"""Saved migration reports grouped per proposal: the lint, impact, dry run, check and apply of
the same migrations, read together as one verdict with its reason ("breaks orders").

A proposal is the migration directory (or file) the reports were made of, and the newest
migration pending in it: a report that does not know what is pending (lint) joins the newest
proposal of its directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from interlock.migrations.saved_reports import SavedReport

KIND_ORDER = ("lint", "impact", "dry-run", "check", "apply")


def report_head(report: SavedReport) -> str | None:
    """The newest migration the report was about, when it says which were pending."""
    pending = report.data.get("pending")
    if isinstance(pending, list) and pending:
        return str(pending[-1])
    return None


def broken_consumers(report: SavedReport) -> list[str]:
    """The services whose queries the report found broken."""
    data = report.data
    found: set[str] = set()
    if report.kind == "check":
        found.update(data.get("broken_consumers") or [])
    if report.kind == "impact":
        for change in data.get("changes") or []:
            found.update(change.get("services") or [])
    if report.kind == "dry-run":
        found.update(c["consumer"] for c in data.get("contracts") or [] if not c.get("ok"))
    if report.kind == "apply":
        for migration in data.get("migrations") or []:
            for check in migration.get("verification") or []:
                if check.get("kind") == "contract" and not check.get("ok"):
                    found.add(str(check.get("name", "")).split("/")[0])
    return sorted(s for s in found if s)


def report_reason(report: SavedReport) -> str:
    """Why the report passes or fails, in a few words."""
    data = report.data
    broken = broken_consumers(report)
    if report.kind == "check":
        return str(data.get("reason") or ("every item passes" if report.ok else "an item fails"))
    if report.kind == "impact":
        return f"breaks {', '.join(broken)}" if broken else "no consumer broken"
    if report.kind == "lint":
        summary = data.get("summary") or {}
        errors = int(summary.get("errors", 0))
        rules = sorted({f["rule"] for f in data.get("findings") or [] if f["severity"] == "error"})
        if errors:
            return f"{errors} lint error(s): {', '.join(rules)}"
        return f"no lint error ({int(summary.get('warnings', 0))} warning(s))"
    if report.kind == "apply":
        return str(data.get("summary") or ("applied" if report.ok else "failed"))
    return _dry_run_reason(data, broken) if not report.ok else "safe on the copy"


def _dry_run_reason(data: dict[str, Any], broken: Sequence[str]) -> str:
    parts = []
    failed = [s for s in data.get("statements") or [] if s.get("error")]
    if failed:
        first = failed[0]
        parts.append(f"{PurePath(first['file']).name}:{first['line']} fails")
    if broken:
        parts.append(f"breaks {', '.join(broken)}")
    for lock in (data.get("risky_locks") or [])[:1]:
        parts.append(f"{lock['mode']} on {lock['relation']} for {lock['held_ms']:.0f} ms")
    rollback = data.get("rollback") or {}
    if rollback.get("differences"):
        parts.append("down does not restore the schema")
    elif not rollback.get("checked"):
        parts.append(f"rollback {rollback.get('note') or 'not checked'}")
    return "; ".join(parts) or "unsafe"


@dataclass
class Proposal:
    """The reports of one proposal; `latest` holds the newest report of each kind."""

    id: str
    key: str  # the directory (or file) the reports were made of, resolved when it was saved
    label: str
    head: str | None
    reports: list[SavedReport] = field(default_factory=list)

    @property
    def latest(self) -> dict[str, SavedReport]:
        newest: dict[str, SavedReport] = {}
        for report in self.reports:  # newest first
            newest.setdefault(report.kind, report)
        return {kind: newest[kind] for kind in KIND_ORDER if kind in newest}

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.latest.values())

    @property
    def broken_consumers(self) -> list[str]:
        return sorted({s for r in self.latest.values() for s in broken_consumers(r)})

    @property
    def reason(self) -> str:
        """What fails, the consumers broken first; or why it is safe."""
        failing = [r for r in self.latest.values() if not r.ok]
        if not failing:
            return "; ".join(report_reason(r) for r in self.latest.values())
        reasons: list[str] = []
        if self.broken_consumers:
            reasons.append(f"breaks {', '.join(self.broken_consumers)}")
        for report in failing:
            for part in report_reason(report).split("; "):
                # the consumers broken are named once, first, whichever report found them
                if part not in reasons and not part.startswith("breaks "):
                    reasons.append(part)
        return "; ".join(reasons)

    @property
    def owner(self) -> str | None:
        """The service that owns the migrated database (impact and check know it), or the
        service an apply was recorded for."""
        for report in self.latest.values():
            owner = report.data.get("owner") or report.data.get("service")
            if owner:
                return str(owner)
        return None

    @property
    def findings(self) -> list[dict[str, Any]]:
        """Lint findings of the newest check (the pending migrations only), else of lint."""
        for kind in ("check", "lint"):
            report = self.latest.get(kind)
            if report is not None:
                lint = report.data if kind == "lint" else report.data.get("lint") or {}
                return list(lint.get("findings") or [])
        return []

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "head": self.head,
            "verdict": "safe" if self.ok else "unsafe",
            "ok": self.ok,
            "reason": self.reason,
            "owner": self.owner,
            "broken_consumers": self.broken_consumers,
            "latest": {kind: r.id for kind, r in self.latest.items()},
            "reports": [r.id for r in self.reports],
            "findings": self.findings,
        }


def group_proposals(reports: Iterable[SavedReport]) -> list[Proposal]:
    """Reports (newest first) grouped per proposal, the proposal with the newest report first."""
    proposals: list[Proposal] = []
    for report in reports:
        key = report.proposal
        head = report_head(report)
        home = next(
            (
                p
                for p in proposals
                if p.key == key and (head is None or p.head is None or p.head == head)
            ),
            None,
        )
        if home is None:
            home = Proposal("", key, report.label, head)
            proposals.append(home)
        home.reports.append(report)
        home.head = home.head or head
    for number, proposal in enumerate(proposals):
        proposal.id = _proposal_id(proposal.label, proposal.head, proposals[:number])
    return proposals


def _proposal_id(label: str, head: str | None, taken: Sequence[Proposal]) -> str:
    name = PurePath(label.rstrip("/")).name or label
    base = f"{name}@{head}" if head else name
    used = {p.id for p in taken}
    return next(c for n in range(len(used) + 1) if (c := base + (f"~{n}" if n else "")) not in used)


def siblings(report: SavedReport, reports: Iterable[SavedReport]) -> Proposal | None:
    """The proposal `report` belongs to."""
    return next((p for p in group_proposals(reports) if report in p.reports), None)
