"""Simulated systems for the RCA benchmark: call graphs, a request simulator and injected faults.

Spans carry no status unless a fault says so (as in traces from systems that set none); logs and
resource metrics come with them, each tied to its trace and service like an SDK would send them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from interlock.telemetry import LogRecord, Span, SpanKind, StatusCode

MS = 1_000_000
S = 1_000_000_000
METRIC_STEP_S = 10


@dataclass(frozen=True)
class Call:
    """One call an operation makes: to a service operation, a database or a third party."""

    callee: str
    operation: str
    kind: str = "service"  # service | database | external
    probability: float = 1.0
    parallel: bool = False  # starts with the previous call instead of after it
    median_ms: float = 2.0  # for databases and third parties: their answer time


@dataclass(frozen=True)
class Operation:
    service: str
    name: str
    self_ms: float
    spread: float = 0.3  # sigma of the log-normal self time
    calls: tuple[Call, ...] = ()
    logs: tuple[str, ...] = ()  # INFO templates logged per request; {} is a variable


@dataclass
class System:
    name: str
    operations: dict[tuple[str, str], Operation]
    entries: list[tuple[tuple[str, str], float]]  # root operation and its share of requests
    roles: dict[str, list[str]]  # entry / middle / leaf / rare -> services
    databases: list[str]
    edges_for_delay: list[str]  # "a->b" edges whose callee has other callers

    @property
    def services(self) -> list[str]:
        return sorted({s for s, _ in self.operations})


@dataclass(frozen=True)
class Fault:
    """What is injected, where; `target` is a service, a database or an edge `a->b`."""

    kind: str
    target: str
    factor: float = 1.0  # CPU hog / contention self-time factor, slow query factor
    delay_ms: float = 0.0  # network delay, contention queue mean, timeout of a dead callee
    share: float = 1.0  # exceptions, wrong values: share of requests affected
    direction: str = "in"  # network delay on a service: in | out | both
    status: bool = False  # dependency down, error faults: the spans carry error status
    names_peer: bool = True  # wrong values: the caller's log names the callee


@dataclass
class MetricPoint:
    service: str
    name: str
    time_unix_nano: int
    value: float
    unit: str = ""


@dataclass
class Telemetry:
    spans: list[Span] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    metrics: list[MetricPoint] = field(default_factory=list)


class Simulator:
    """Requests through `system` from `start` to `end` (Unix ns) at `rate` per second."""

    def __init__(self, system: System, seed: int, fault: Fault | None = None) -> None:
        self.system = system
        self.rng = random.Random(seed)
        self.fault = fault
        self.out = Telemetry()
        self.busy_ms: dict[str, float] = {}

    def _id(self, bits: int) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def _lognormal(self, median: float, sigma: float) -> float:
        return median * self.rng.lognormvariate(0.0, sigma)

    def _hit(self, kind: str, target: str) -> bool:
        return self.fault is not None and self.fault.kind == kind and self.fault.target == target

    def _net_ms(self, src: str, dst: str) -> float:
        """One-way transit from `src` to `dst`, with the injected delay where it applies."""
        ms = self._lognormal(0.4, 0.35)
        f = self.fault
        if f is None:
            return ms
        if f.kind == "net_delay_edge" and f.target == f"{src}->{dst}":
            ms += f.delay_ms * self.rng.uniform(0.8, 1.2)
        into = dst == f.target and f.direction in ("in", "both")
        out_of = src == f.target and f.direction in ("out", "both")
        if f.kind == "net_delay" and (into or out_of):
            ms += f.delay_ms * self.rng.uniform(0.8, 1.2)
        return ms

    def _span(
        self,
        trace_id: str,
        parent: str | None,
        service: str,
        name: str,
        kind: SpanKind,
        start: int,
        end: int,
        attributes: dict[str, object],
        error: bool = False,
    ) -> str:
        span_id = self._id(64)
        self.out.spans.append(
            Span(
                trace_id=trace_id,
                span_id=span_id,
                parent_span_id=parent,
                name=name,
                kind=kind,
                start_unix_nano=start,
                end_unix_nano=end,
                service=service,
                status_code=StatusCode.ERROR if error else StatusCode.UNSET,
                attributes=attributes,
                resource={"service.name": service},
            )
        )
        return span_id

    def _log(
        self,
        at: int,
        service: str,
        severity: int,
        body: str,
        trace_id: str | None = None,
        span_id: str | None = None,
        attributes: dict[str, object] | None = None,
    ) -> None:
        text = {1: "TRACE", 5: "DEBUG", 9: "INFO", 13: "WARN", 17: "ERROR"}[severity]
        self.out.logs.append(
            LogRecord(
                time_unix_nano=at,
                observed_time_unix_nano=at,
                severity_number=severity,
                severity_text=text,
                body=body,
                service=service,
                trace_id=trace_id,
                span_id=span_id,
                attributes=attributes or {},
                resource={"service.name": service},
            )
        )

    def _fill(self, template: str) -> str:
        parts = template.split("{}")
        values = [str(self.rng.randint(1, 99999)) for _ in parts[1:]]
        return parts[0] + "".join(v + p for v, p in zip(values, parts[1:], strict=True))

    def serve(self, trace_id: str, parent: str | None, key: tuple[str, str], arrive: int) -> int:
        """Handle one request from its arrival at the service; returns when the answer leaves."""
        op = self.system.operations[key]
        svc = op.service
        f = self.fault
        queue_ms = 0.0
        factor = 1.0
        if self._hit("cpu_contention", svc) and f is not None:
            queue_ms = self.rng.expovariate(1.0 / f.delay_ms)
            factor = f.factor
        if self._hit("cpu_hog", svc) and f is not None:
            factor = f.factor * self.rng.uniform(0.7, 1.3)
        start = arrive + int(queue_ms * MS)
        self_ms = self._lognormal(op.self_ms, op.spread) * factor
        self.busy_ms[svc] = self.busy_ms.get(svc, 0.0) + self_ms
        server_id = self._id(64)
        cursor = start + int(self_ms * 0.4 * MS)
        group_end = cursor
        group_start = cursor
        wrong_from: str | None = None
        child_failed = False
        for call in op.calls:
            if self.rng.random() > call.probability:
                continue
            at = group_start if call.parallel else group_end
            if not call.parallel:
                group_start = at
            end, wrong, failed = self._call(trace_id, server_id, svc, call, at)
            child_failed = child_failed or failed
            if wrong:
                wrong_from = call.callee
            group_end = max(group_end, end) if call.parallel else end
        cursor = group_end
        failed_here = False
        if self._hit("exception_logs", svc) and f is not None and self.rng.random() < f.share:
            cursor += int(self.rng.uniform(1, 4) * MS)
            kind = "NullPointerException" if sum(map(ord, svc)) % 2 else "KeyError"
            self._log(
                cursor, svc, 17, f"Exception while handling request: {kind}: {self._fill('id {}')}",
                trace_id, server_id, {"exception.type": kind},
            )  # fmt: skip
        if self._hit("error_status", svc) and f is not None and self.rng.random() < f.share:
            failed_here = True
            self._log(cursor, svc, 17, "request failed: internal error", trace_id, server_id)
        if wrong_from is not None:
            body = (
                f"unexpected response from {wrong_from}: total {self.rng.randint(1, 999)} out of range"
                if f is not None and f.names_peer
                else f"validation failed for item {self.rng.randint(1, 999)}: value out of range"
            )
            self._log(cursor, svc, 13, body, trace_id, server_id)
        end = cursor + int(self_ms * 0.6 * MS)
        for template in op.logs:
            self._log(end - MS // 10, svc, 9, self._fill(template), trace_id, server_id)
        route = op.name.split(" ", 1)
        attributes: dict[str, object] = {"http.request.method": route[0], "http.route": route[1]}
        self.out.spans.append(
            Span(
                trace_id=trace_id,
                span_id=server_id,
                parent_span_id=parent,
                name=op.name,
                kind=SpanKind.SERVER,
                start_unix_nano=start,
                end_unix_nano=end,
                service=svc,
                status_code=StatusCode.ERROR if failed_here or child_failed else StatusCode.UNSET,
                attributes=attributes,
                resource={"service.name": svc},
            )
        )
        self._failed = failed_here or child_failed
        return end

    def _call(
        self, trace_id: str, parent: str, svc: str, call: Call, at: int
    ) -> tuple[int, bool, bool]:
        """A CLIENT span from `svc`; (when it ends, whether the answer was wrong, or an error)."""
        f = self.fault
        method = call.operation.split(" ", 1)[0]
        if call.kind == "database":
            ms = self._lognormal(call.median_ms, 0.3)
            if self._hit("slow_query", call.callee) and f is not None:
                ms *= f.factor * self.rng.uniform(0.8, 1.2)
            end = at + int(ms * MS)
            attrs: dict[str, object] = {
                "db.system": "postgresql",
                "db.name": call.callee,
                "db.statement": call.operation,
            }
            self._span(
                trace_id, parent, svc, call.operation.split()[0], SpanKind.CLIENT, at, end, attrs
            )
            return end, False, False
        attrs = {"peer.service": call.callee, "http.request.method": method}
        if call.kind == "external":
            ms = self._lognormal(call.median_ms, 0.3)
            down = self._hit("dependency_down", call.callee) and f is not None
            if down and f is not None:
                ms = f.delay_ms
            end = at + int(ms * MS)
            error = down and f is not None and f.status
            self._span(trace_id, parent, svc, method, SpanKind.CLIENT, at, end, attrs, error)
            if down:
                self._log(end, svc, 17, f"timeout calling {call.callee}", trace_id, parent)
            return end, False, error
        if self._hit("dependency_down", call.callee) and f is not None:
            end = at + int(f.delay_ms * self.rng.uniform(0.95, 1.05) * MS)
            self._span(trace_id, parent, svc, method, SpanKind.CLIENT, at, end, attrs, f.status)
            self._log(
                end,
                svc,
                17,
                f"timeout calling {call.callee} after {int(f.delay_ms)} ms",
                trace_id,
                parent,
            )
            return end, False, f.status
        client_id = self._id(64)
        arrive = at + int(self._net_ms(svc, call.callee) * MS)
        served = self.serve(trace_id, client_id, (call.callee, call.operation), arrive)
        callee_failed = self._failed
        end = served + int(self._net_ms(call.callee, svc) * MS)
        self.out.spans.append(
            Span(
                trace_id=trace_id,
                span_id=client_id,
                parent_span_id=parent,
                name=method,
                kind=SpanKind.CLIENT,
                start_unix_nano=at,
                end_unix_nano=end,
                service=svc,
                status_code=StatusCode.ERROR if callee_failed else StatusCode.UNSET,
                attributes=attrs,
                resource={"service.name": svc},
            )
        )
        wrong = (
            self._hit("wrong_return", call.callee) and f is not None and self.rng.random() < f.share
        )
        return end, wrong, callee_failed

    def request(self, at: int) -> None:
        keys = [k for k, _ in self.system.entries]
        weights = [w for _, w in self.system.entries]
        key = self.rng.choices(keys, weights)[0]
        if self._hit("dependency_down", key[0]):
            return  # the entry service answers nobody: no span at all
        self._failed = False
        self.serve(self._id(128), None, key, at)

    def run(self, start: int, end: int, rate: float, leak: bool = False) -> Telemetry:
        """Traffic, background logs and resource metrics over `[start, end)`."""
        at = start
        while True:
            at += int(self.rng.expovariate(rate) * S)
            if at >= end:
                break
            self.request(at)
        self._background(start, end)
        self._metrics(start, end, leak)
        return self.out

    def _background(self, start: int, end: int) -> None:
        """Logs with no trace: periodic housekeeping in every service, a rare warning in some."""
        for index, svc in enumerate(self.system.services):
            t = start + int(self.rng.uniform(0, 15) * S)
            while t < end:
                self._log(t, svc, 9, self._fill("cache stats: hits={} misses={}"))
                if index % 4 == 0 and self.rng.random() < 0.3:
                    self._log(t, svc, 13, self._fill("slow garbage collection pause {} ms"))
                t += int(self.rng.uniform(10, 20) * S)

    def _metrics(self, start: int, end: int, leak: bool) -> None:
        """CPU utilization and memory per service every 10 s, from the work it did."""
        seconds = (end - start) / S
        f = self.fault
        for svc in self.system.services:
            load = min(0.6, self.busy_ms.get(svc, 0.0) / 1000 / max(seconds, 1) / 2)
            memory = 200e6 + (sum(map(ord, svc)) % 7) * 50e6
            t = start
            step = 0
            while t < end:
                cpu = load + self.rng.uniform(0.05, 0.15)
                if f is not None and f.target == svc and f.kind == "cpu_hog":
                    cpu = self.rng.uniform(0.85, 0.99)
                if f is not None and f.target == svc and f.kind == "cpu_contention":
                    cpu = self.rng.uniform(0.95, 1.0)
                used = memory * self.rng.uniform(0.95, 1.05)
                if leak and f is not None and f.target == svc:
                    used += step * METRIC_STEP_S * 0.4e6  # 0.4 MB a second
                self.out.metrics.append(MetricPoint(svc, "process.cpu.utilization", t, cpu, "1"))
                self.out.metrics.append(MetricPoint(svc, "process.memory.usage", t, used, "By"))
                t += METRIC_STEP_S * S
                step += 1


# --- the systems --------------------------------------------------------------------------


def shop() -> System:
    """The example shop's call graph: gateway, orders, inventory, payments and two databases."""
    ops = [
        Operation("gateway", "POST /orders", 1.0, calls=(Call("orders", "POST /orders"),)),
        Operation("gateway", "GET /products", 0.8, calls=(Call("inventory", "GET /products"),)),
        Operation("gateway", "GET /orders/{id}", 0.6, calls=(Call("orders", "GET /orders/{id}"),)),
        Operation(
            "orders",
            "POST /orders",
            1.5,
            calls=(
                Call("inventory", "POST /products/{id}/reserve"),
                Call("payments", "POST /payments"),
                Call("orders-db", "INSERT INTO orders VALUES (?)", "database", median_ms=1.5),
            ),
            logs=("order {} created",),
        ),
        Operation(
            "orders",
            "GET /orders/{id}",
            0.5,
            calls=(
                Call("orders-db", "SELECT * FROM orders WHERE id = ?", "database", median_ms=0.8),
            ),
        ),
        Operation(
            "inventory",
            "GET /products",
            0.7,
            calls=(Call("inventory-db", "SELECT * FROM products", "database", median_ms=1.0),),
        ),
        Operation(
            "inventory",
            "POST /products/{id}/reserve",
            0.5,
            calls=(
                Call(
                    "inventory-db",
                    "UPDATE products SET stock = stock - ?",
                    "database",
                    median_ms=1.2,
                ),
            ),
            logs=("reserved {} of product {}",),
        ),
        Operation("payments", "POST /payments", 2.0, logs=("payment {} authorized",)),
    ]
    return System(
        "shop",
        {(o.service, o.name): o for o in ops},
        [
            (("gateway", "POST /orders"), 0.55),
            (("gateway", "GET /products"), 0.4),
            (("gateway", "GET /orders/{id}"), 0.05),
        ],
        {"entry": ["gateway"], "middle": ["orders"], "leaf": ["payments", "inventory"]},
        ["orders-db", "inventory-db"],
        ["gateway->inventory", "orders->inventory"],
    )


_MID1 = [
    "cart",
    "checkout",
    "catalog",
    "search",
    "user-profile",
    "auth",
    "recommendation",
    "order-history",
]
_MID2 = [
    "pricing",
    "inventory",
    "shipping",
    "payment",
    "promotion",
    "review",
    "notification",
    "fraud-check",
]
_LEAVES = [
    "currency",
    "tax",
    "geo",
    "image-resizer",
    "email",
    "sms",
    "audit-log",
    "feature-flags",
    "session-store",
]
_DBS = {"user-profile": "users-db", "catalog": "catalog-db", "order-history": "orders-db",
        "inventory": "inventory-db", "review": "reviews-db", "gift-card": "giftcards-db"}  # fmt: skip
_VERBS = ("GET", "GET", "POST", "PUT")


def generated(seed: int = 20) -> System:
    """A 30-service shop-like system: 3 entries, two middle tiers, leaves, 6 databases.

    Each operation calls 0-4 operations of lower tiers (some in parallel, some only sometimes);
    `gift-card` runs only in a rare checkout path and `password-reset` only in a short rare one.
    """
    rng = random.Random(seed)
    ops: dict[tuple[str, str], Operation] = {}
    names: dict[str, list[str]] = {}
    tiers = [_LEAVES, _MID2, _MID1]
    for tier in tiers:
        for svc in tier:
            count = rng.randint(1, 3)
            names[svc] = [
                f"{rng.choice(_VERBS)} /{svc.split('-')[0]}/{w}"
                for w in rng.sample(["{id}", "list", "check", "batch", "lookup", "quote"], count)
            ]
    called: set[str] = set()

    def calls_for(svc: str, below: list[list[str]], k: int) -> tuple[Call, ...]:
        out: list[Call] = []
        pool = [s for tier in below for s in tier]
        weights = [3.0 if s in below[0] else 1.0 for tier in below for s in tier]
        chosen: list[str] = []
        while len(chosen) < k:
            pick = rng.choices(pool, weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        for i, callee in enumerate(chosen):
            called.add(callee)
            out.append(
                Call(
                    callee,
                    rng.choice(names[callee]),
                    probability=1.0 if rng.random() < 0.75 else 0.6,
                    parallel=i > 0 and rng.random() < 0.3,
                )
            )
        if svc in _DBS:
            out.append(Call(_DBS[svc], f"SELECT * FROM {svc.replace('-', '_')} WHERE id = ?",
                            "database", median_ms=rng.uniform(0.5, 3.0)))  # fmt: skip
        return tuple(out)

    def add(svc: str, name: str, below: list[list[str]], k: int) -> None:
        spread = 0.8 if svc == "recommendation" else 0.3  # one heavy-tailed service
        self_ms = 0.03 if svc == "feature-flags" else rng.uniform(0.3, 3.0)  # one tiny one
        logs = (f"{name.split()[0].lower()} {svc} item {{}} done",) if rng.random() < 0.5 else ()
        ops[(svc, name)] = Operation(svc, name, self_ms, spread, calls_for(svc, below, k), logs)

    for svc in _LEAVES:
        for name in names[svc]:
            add(svc, name, [], 0)
    for svc in _MID2:
        for name in names[svc]:
            add(svc, name, [_LEAVES], rng.randint(0, 2))
    for svc in _MID1:
        for name in names[svc]:
            add(svc, name, [_MID2, _LEAVES], rng.randint(1, 3))
    for svc in _LEAVES + _MID2:  # every service is called by someone
        if svc not in called:
            caller = rng.choice(_MID1)
            key = (caller, names[caller][0])
            op = ops[key]
            ops[key] = Operation(op.service, op.name, op.self_ms, op.spread,
                                 (*op.calls, Call(svc, names[svc][0])), op.logs)  # fmt: skip
    # the external payment provider, called by payment
    pay = ("payment", names["payment"][0])
    p = ops[pay]
    ops[pay] = Operation(p.service, p.name, p.self_ms, p.spread,
                         (*p.calls, Call("payment-provider", "POST /charge", "external", median_ms=40)), p.logs)  # fmt: skip
    # the rare paths
    ops[("gift-card", "POST /giftcards/{id}/redeem")] = Operation(
        "gift-card", "POST /giftcards/{id}/redeem", 1.2,
        calls=(Call("giftcards-db", "UPDATE giftcards SET balance = ?", "database", median_ms=1.5),
               Call("audit-log", names["audit-log"][0])),
        logs=("gift card {} redeemed",),
    )  # fmt: skip
    ops[("checkout", "POST /checkout/giftcard")] = Operation(
        "checkout", "POST /checkout/giftcard", 1.5,
        calls=(Call("gift-card", "POST /giftcards/{id}/redeem"), Call("pricing", names["pricing"][0])),
    )  # fmt: skip
    ops[("password-reset", "POST /reset")] = Operation(
        "password-reset", "POST /reset", 0.8,
        calls=(Call("email", names["email"][0]),), logs=("reset link sent to user {}",),
    )  # fmt: skip
    entries: list[tuple[tuple[str, str], float]] = []
    for entry, fanout in (("web-frontend", 5), ("mobile-bff", 4), ("admin-console", 2)):
        for i, callee in enumerate(rng.sample(_MID1, fanout)):
            name = f"GET /{entry.split('-')[0]}/page{i}"
            ops[(entry, name)] = Operation(
                entry, name, rng.uniform(0.5, 2.0),
                calls=(Call(callee, rng.choice(names[callee])), Call("session-store", names["session-store"][0], parallel=True)),
            )  # fmt: skip
            entries.append(((entry, name), 1.0 if entry != "admin-console" else 0.3))
    ops[("web-frontend", "POST /checkout/giftcard")] = Operation(
        "web-frontend", "POST /checkout/giftcard", 1.0,
        calls=(Call("checkout", "POST /checkout/giftcard"),),
    )  # fmt: skip
    ops[("mobile-bff", "POST /password-reset")] = Operation(
        "mobile-bff", "POST /password-reset", 0.7, calls=(Call("password-reset", "POST /reset"),)
    )
    entries.append((("web-frontend", "POST /checkout/giftcard"), 0.25))
    entries.append((("mobile-bff", "POST /password-reset"), 0.25))
    callers: dict[str, set[str]] = {}
    callees: dict[str, set[str]] = {}
    reachable: set[tuple[str, str]] = set()
    todo = [key for key, _ in entries]
    while todo:  # only operations that requests reach carry faults
        key = todo.pop()
        if key not in reachable:
            reachable.add(key)
            todo += [(c.callee, c.operation) for c in ops[key].calls if c.kind == "service"]
    for (svc, _), op in ops.items():
        if (svc, op.name) not in reachable:
            continue
        for call in op.calls:
            if call.kind == "service":
                callers.setdefault(call.callee, set()).add(svc)
                callees.setdefault(svc, set()).add(call.callee)
    edges = sorted(
        f"{a}->{b}"
        for b, sources in callers.items()
        for a in sources
        if len(sources) >= 2 and len(callees.get(a, ())) >= 2 and b in _MID2 + _LEAVES
    )
    return System(
        "generated",
        ops,
        entries,
        {
            "entry": ["web-frontend", "mobile-bff"],
            "middle": sorted(s for s in _MID1 + _MID2 if s in callers),
            "leaf": sorted(s for s in _LEAVES if s in callers),
            "rare": ["gift-card", "password-reset"],
        },
        sorted(set(_DBS.values())),
        edges,
    )
