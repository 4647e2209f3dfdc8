"""Migration reports kept in the data directory, so the dashboard can show the latest ones.

`interlock migrate lint|impact|dry-run|check|apply --save D` writes
`D/reports/migrations/<id>.json`; the dashboard groups them per proposal and renders each.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interlock.errors import UserInputError

KINDS = ("lint", "dry-run", "impact", "apply", "check")
_ID = re.compile(r"^[a-z-]+-\d{8}T\d{6}\d*Z(-[A-Za-z0-9_.-]+)?$")


@dataclass(frozen=True)
class SavedReport:
    id: str
    kind: str
    label: str
    created_at: str
    ok: bool
    data: dict[str, Any]
    proposal: str = ""  # the migrations' directory, resolved: reports of one proposal share it

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "created_at": self.created_at,
            "ok": self.ok,
            "proposal": self.proposal,
        }


def reports_dir(data_dir: Path) -> Path:
    return data_dir / "reports" / "migrations"


def save_report(data_dir: Path, kind: str, label: str, data: dict[str, Any]) -> SavedReport:
    """Write one report; its id sorts by time and names the kind and the label."""
    if kind not in KINDS:
        raise ValueError(f"unknown report kind {kind!r}")
    now = datetime.now(UTC)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")[:60]
    report_id = f"{kind}-{now.strftime('%Y%m%dT%H%M%S%f')}Z" + (f"-{slug}" if slug else "")
    ok = bool(data.get("ok", not data.get("breaks_consumers", False)))
    created = now.isoformat().replace("+00:00", "Z")
    saved = SavedReport(report_id, kind, label, created, ok, data, _proposal_key(label))
    folder = reports_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    envelope = {**saved.summary(), "report": data}
    (folder / f"{report_id}.json").write_text(json.dumps(envelope, indent=2), encoding="utf-8")
    return saved


def _proposal_key(label: str) -> str:
    """The label as an absolute path when it names one (`./db/` and `db` are one proposal)."""
    path = Path(label)
    return str(path.resolve()) if path.exists() else label.rstrip("/")


def list_reports(data_dir: Path) -> list[SavedReport]:
    """Every saved report, newest first; unreadable files are skipped by name, not guessed at."""
    folder = reports_dir(data_dir)
    if not folder.is_dir():
        return []
    found = [_read(path) for path in folder.glob("*.json")]
    return sorted((r for r in found if r is not None), key=lambda r: r.created_at, reverse=True)


def load_report(data_dir: Path, report_id: str) -> SavedReport:
    if not _ID.match(report_id):
        raise UserInputError(f"{report_id!r} is not a report id")
    report = _read(reports_dir(data_dir) / f"{report_id}.json")
    if report is None:
        raise UserInputError(f"no migration report {report_id!r}")
    return report


def _read(path: Path) -> SavedReport | None:
    try:
        envelope = json.loads(path.read_text(encoding="utf-8"))
        return SavedReport(
            envelope["id"],
            envelope["kind"],
            envelope["label"],
            envelope["created_at"],
            envelope["ok"],
            envelope["report"],
            envelope.get("proposal") or envelope["label"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
