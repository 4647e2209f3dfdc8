"""Running a Chaos Toolkit experiment with Chaos Toolkit's own runner (chaoslib), in process.

The experiment file is Chaos Toolkit's (title, steady-state-hypothesis, method, rollbacks);
the journal written is Chaos Toolkit's journal, kept under `.interlock/chaos/` for the
dashboard and, on request, where `--journal-path` says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interlock.errors import SourceError

ROLLBACK_STRATEGIES = ("default", "always", "never", "deviated")


@dataclass(frozen=True)
class ChaosRun:
    """One experiment run: its journal (Chaos Toolkit's format) and where it was written."""

    journal: dict[str, Any]
    journal_path: Path

    @property
    def status(self) -> str:
        return str(self.journal.get("status", ""))

    @property
    def deviated(self) -> bool:
        return bool(self.journal.get("deviated", False))

    @property
    def passed(self) -> bool:
        return self.status == "completed" and not self.deviated

    def summary(self) -> dict[str, Any]:
        """Title, verdict, and each hypothesis probe before and after with its value."""
        steady = self.journal.get("steady_states") or {}
        return {
            "title": self.journal.get("experiment", {}).get("title", ""),
            "status": self.status,
            "deviated": self.deviated,
            "passed": self.passed,
            "duration_s": self.journal.get("duration"),
            "journal": str(self.journal_path),
            "before": _probes(steady.get("before")),
            "after": _probes(steady.get("after")),
            "run": [
                {
                    "name": item.get("activity", {}).get("name"),
                    "type": item.get("activity", {}).get("type"),
                    "status": item.get("status"),
                    "output": item.get("output"),
                }
                for item in self.journal.get("run", [])
            ],
        }


def _probes(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if not state:
        return None
    return {
        "met": state.get("steady_state_met"),
        "probes": [
            {
                "name": p.get("activity", {}).get("name"),
                "status": p.get("status"),
                "output": p.get("output"),
                "tolerance_met": p.get("tolerance_met"),
            }
            for p in state.get("probes", [])
        ],
    }


def journal_encoder(value: object) -> str:
    """What chaostoolkit's CLI writes for values JSON lacks (datetimes, decimals, UUIDs)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def journals_dir(data_dir: Path) -> Path:
    return data_dir / "chaos" / "journals"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "experiment"


def load_experiment_file(path: Path) -> dict[str, Any]:
    """The experiment in `path` (JSON or YAML), validated by Chaos Toolkit's own rules."""
    from chaoslib.exceptions import ChaosException  # type: ignore[import-untyped]  # chaoslib ships no type information
    from chaoslib.experiment import ensure_experiment_is_valid  # type: ignore[import-untyped]  # (as above)
    from chaoslib.loader import load_experiment  # type: ignore[import-untyped]  # (as above)

    if not path.is_file():
        raise SourceError(str(path), None, "no such experiment file")
    try:
        experiment: dict[str, Any] = load_experiment(str(path), {})
        ensure_experiment_is_valid(experiment)
    except ChaosException as error:
        raise SourceError(
            str(path), None, f"not a valid Chaos Toolkit experiment: {error}"
        ) from None
    return experiment


def run_experiment_file(
    path: Path,
    data_dir: Path,
    *,
    journal_path: Path | None = None,
    configuration: dict[str, Any] | None = None,
    rollback_strategy: str = "default",
) -> ChaosRun:
    """Run the experiment in `path` as `chaos run` would; `configuration` overrides its values
    (as `chaos run --var`)."""
    return run_experiment_data(
        load_experiment_file(path),
        data_dir,
        journal_path=journal_path,
        configuration=configuration,
        rollback_strategy=rollback_strategy,
    )


def run_experiment_data(
    experiment: dict[str, Any],
    data_dir: Path,
    *,
    journal_path: Path | None = None,
    configuration: dict[str, Any] | None = None,
    rollback_strategy: str = "default",
) -> ChaosRun:
    """Run an experiment given as data (a built-in one); the journal is kept in `data_dir`."""
    from chaoslib.experiment import run_experiment
    from chaoslib.types import Strategy  # type: ignore[import-untyped]  # (as above)

    settings = {
        "runtime": {
            "rollbacks": {"strategy": rollback_strategy},
            "hypothesis": {"strategy": "default"},
        }
    }
    if configuration:
        # chaoslib lets variables override only the keys an experiment declares; these are
        # added too, so that a built-in experiment need not declare where the stubs are
        experiment = {
            **experiment,
            "configuration": {**experiment.get("configuration", {}), **configuration},
        }
    journal: dict[str, Any] = run_experiment(
        experiment,
        settings=settings,
        experiment_vars=(dict(configuration or {}), {}),
        strategy=Strategy.DEFAULT,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = journals_dir(data_dir) / f"{stamp}-{_slug(str(experiment.get('title', '')))}.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(journal, indent=2, ensure_ascii=False, default=journal_encoder)
    kept.write_text(text, encoding="utf-8")
    if journal_path is not None:
        journal_path.write_text(text, encoding="utf-8")
    return ChaosRun(json.loads(text), journal_path or kept)


def stored_journals(data_dir: Path, limit: int = 50) -> list[ChaosRun]:
    """The journals kept in `data_dir`, newest first."""
    folder = journals_dir(data_dir)
    if not folder.is_dir():
        return []
    runs = []
    for file in sorted(folder.glob("*.json"), reverse=True)[:limit]:
        try:
            runs.append(ChaosRun(json.loads(file.read_text(encoding="utf-8")), file))
        except (OSError, ValueError):
            continue  # a journal being written, or not one of ours
    return runs
