"""Scenario files: stages of arrival rates, think time, and flows of requests (YAML or JSON).

service: orders
stages: [{duration: 30s, rate: 100}, {duration: 1m, rate: 200}]
think_time: 50ms
pacts: [pacts/]          # flows from the service's pacts, beside or instead of `flows`
flows:
  - name: place an order
    weight: 2
    steps:
      - {name: GET /products, method: GET, path: /products}
      - {name: POST /orders, method: POST, path: /orders, json: {sku: A1}, status: 201}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from interlock.errors import Position, SourceError
from interlock.perf.traffic import Flow, RequestVariant, Stage, Step, TrafficPlan, body_text

_STEP_KEYS = {"name", "method", "path", "headers", "json", "body", "status"}


class _Reader:
    def __init__(self, file: Path) -> None:
        self.file = file

    def error(self, path: str, message: str) -> SourceError:
        return SourceError(str(self.file), Position(path=path), message)

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(path, "expected a mapping")
        return value

    def listing(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(path, "expected a list")
        return value

    def duration(self, value: Any, path: str) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = float(value)
        else:
            from interlock.telemetry import parse_duration_s  # telemetry is heavy: when needed

            try:
                seconds = parse_duration_s(str(value))
            except Exception:
                raise self.error(
                    path, f"expected a duration like 30s or 250ms, found {value!r}"
                ) from None
        if seconds < 0:
            raise self.error(path, "expected a duration of 0 or more")
        return seconds

    def positive(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.error(path, f"expected a positive number, found {value!r}")
        return float(value)


def read_stages(r: _Reader, value: Any, path: str) -> tuple[Stage, ...]:
    stages = []
    for index, item in enumerate(r.listing(value, path)):
        where = f"{path}[{index}]"
        data = r.mapping(item, where)
        if "duration" not in data or "rate" not in data:
            raise r.error(
                where, "expected a stage with `duration` and `rate` (arrivals per second)"
            )
        duration = r.duration(data["duration"], f"{where}.duration")
        if duration <= 0:
            raise r.error(f"{where}.duration", "expected a duration above 0")
        stages.append(Stage(duration, r.positive(data["rate"], f"{where}.rate")))
    if not stages:
        raise r.error(path, "expected at least one stage")
    return tuple(stages)


def _step(r: _Reader, item: Any, where: str) -> Step:
    data = r.mapping(item, where)
    unknown = sorted(set(data) - _STEP_KEYS)
    if unknown:
        raise r.error(
            f"{where}.{unknown[0]}", f"unknown key; a step takes {', '.join(sorted(_STEP_KEYS))}"
        )
    path = data.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise r.error(f"{where}.path", f"expected a path starting with /, found {path!r}")
    method = str(data.get("method", "GET")).upper()
    headers = {
        str(k): str(v) for k, v in r.mapping(data.get("headers") or {}, f"{where}.headers").items()
    }
    body = None
    if "json" in data:
        body = body_text(data["json"])
        headers.setdefault("Content-Type", "application/json")
    elif "body" in data:
        body = body_text(data["body"])
    status = data.get("status")
    statuses = status if isinstance(status, list) else [] if status is None else [status]
    for index, code in enumerate(statuses):
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise r.error(f"{where}.status[{index}]", f"expected an HTTP status, found {code!r}")
    name = str(data.get("name") or f"{method} {path.split('?', 1)[0]}")
    return Step(name, (RequestVariant(method, path, headers, body),), tuple(statuses))


def read_flows(r: _Reader, value: Any, path: str) -> tuple[Flow, ...]:
    flows = []
    for index, item in enumerate(r.listing(value, path)):
        where = f"{path}[{index}]"
        data = r.mapping(item, where)
        steps_path = f"{where}.steps"
        raw_steps = r.listing(data.get("steps"), steps_path)
        if not raw_steps:
            raise r.error(steps_path, "expected at least one step")
        steps = tuple(_step(r, s, f"{steps_path}[{i}]") for i, s in enumerate(raw_steps))
        weight = r.positive(data.get("weight", 1), f"{where}.weight")
        flows.append(Flow(str(data.get("name") or f"flow {index + 1}"), steps, weight))
    return tuple(flows)


def load_scenario(file: Path, default_stages: tuple[Stage, ...] | None = None) -> TrafficPlan:
    """A traffic plan from a scenario file; pacts it names are read relative to the file."""
    from interlock.perf.pact_traffic import plan_from_pacts

    try:
        data: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise SourceError(str(file), None, f"cannot read the scenario: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise SourceError(str(file), None, f"not YAML: {error}") from None
    r = _Reader(file)
    data = r.mapping(data, "$")
    if "stages" in data:
        stages = read_stages(r, data["stages"], "$.stages")
    elif default_stages is not None:
        stages = default_stages
    else:
        raise r.error("$.stages", "expected stages (or --rate and --duration on the command line)")
    think = r.duration(data.get("think_time", 0), "$.think_time") * 1000
    service = data.get("service")
    flows = read_flows(r, data["flows"], "$.flows") if "flows" in data else ()
    if "pacts" in data:
        if not isinstance(service, str):
            raise r.error("$.service", "expected the provider's name, to pick its pacts")
        dirs = [file.parent / str(p) for p in r.listing(data["pacts"], "$.pacts")]
        flows = flows + plan_from_pacts(dirs, service, stages).flows
    if not flows:
        raise r.error("$", "expected `flows` or `pacts`: nothing to send")
    target = data.get("target")
    if target is not None and not (
        isinstance(target, str) and target.startswith(("http://", "https://"))
    ):
        raise r.error("$.target", f"expected an http:// or https:// URL, found {target!r}")
    return TrafficPlan(
        flows,
        stages,
        think,
        service if isinstance(service, str) else None,
        target,
        source=f"scenario: {file}",
    )
