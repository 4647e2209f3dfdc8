"""Generated catalogs of any size, for benchmarks and for tests of big maps.

The tree mixes Backstage and `interlock.yaml` descriptors the way a real company's does,
loads with no error finding, and has one central table that many services read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

DOMAINS = (
    "orders", "payments", "inventory", "search", "users", "billing", "shipping", "catalog",
    "pricing", "reviews", "cart", "checkout", "fraud", "ledger", "notify", "media", "auth",
    "loyalty", "returns", "tax", "quotes", "partners", "reports", "stock",
)  # fmt: skip
ROLES = ("api", "svc", "worker", "gateway", "engine", "sync", "feed", "store", "bff", "jobs")
COLUMNS = (
    "created_at", "updated_at", "status", "name", "amount", "currency", "user_id", "sku",
    "price", "quantity", "email", "total", "region", "version", "kind", "note", "ref",
)  # fmt: skip
CENTRAL_SHARE = 0.2  # of all reads, the share aimed at the central table


@dataclass(frozen=True)
class SyntheticCatalog:
    """What `generate_catalog` wrote: where, how big, and a table many services read."""

    root: Path
    services: int
    edges: int
    files: int
    central_table: str


@dataclass
class _Service:
    index: int
    name: str
    team: str
    backstage: bool
    interlock: bool
    api: str | None = None
    databases: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)
    reads: dict[str, list[str]] = field(default_factory=dict)
    writes: dict[str, list[str]] = field(default_factory=dict)


def generate_catalog(
    directory: Path, services: int = 2000, edges: int = 10000, seed: int = 0
) -> SyntheticCatalog:
    """Write a catalog of `services` services and `edges` graph edges under `directory`.

    Calls only go from a service to one later in a fixed order, so there is no cycle.
    The edge count is exact unless `edges` is below what the services, APIs and
    databases need by themselves (about three per service); `.edges` says what was made.
    """
    rng = random.Random(seed)
    plan = _Plan(rng, max(1, services))
    plan.add_edges(edges)
    files = plan.write(directory)
    return SyntheticCatalog(directory, len(plan.services), plan.edges, files, plan.central)


class _Plan:
    def __init__(self, rng: random.Random, count: int) -> None:
        self.rng = rng
        self.teams = [f"team-{DOMAINS[t % len(DOMAINS)]}-{t}" for t in range(max(1, count // 8))]
        self.services: list[_Service] = []
        taken: set[str] = set()
        for index in range(count):
            name = f"{rng.choice(DOMAINS)}-{rng.choice(ROLES)}"
            if name in taken:
                name = f"{name}-{index}"
            taken.add(name)
            kind = 0.5 if index == count - 1 else rng.random()  # the core one has both
            team = self.teams[min(len(self.teams) - 1, index * len(self.teams) // count)]
            self.services.append(_Service(index, name, team, kind < 0.7, kind >= 0.4))
        self.edges = count  # each service's owned-by edge
        self.pairs: set[tuple[int, int]] = set()  # caller -> callee, however declared
        self.tables: list[tuple[int, str, list[str]]] = []  # owner, db.table, columns
        for service in self.services:
            if service.backstage and rng.random() < 0.5:
                service.api = f"{service.name}-api"
                self.edges += 2  # provides, owned-by
        owners = [s for s in self.services if s.interlock]
        for number, owner in enumerate(owners[-1:] + owners[:-1]):
            if number and rng.random() > 0.33:
                continue
            database = f"{owner.name.split('-')[0]}-db-{owner.index}"
            tables: dict[str, list[str]] = {}
            for t in range(rng.randint(1, 4)):
                columns = ["id", *rng.sample(COLUMNS, rng.randint(2, 7))]
                tables[f"{rng.choice(DOMAINS)}_{t}"] = columns
                self.tables.append((owner.index, f"{database}.{list(tables)[-1]}", columns))
            owner.databases[database] = tables
            self.edges += 1 + len(tables)  # owns, contains
        # The last interlock service (a core one) owns the first table: the central one.
        self.central = self.tables[0][1]

    def add_edges(self, wanted: int) -> None:
        attempts = 0
        while self.edges < wanted and attempts < 20 * wanted:
            attempts += 1
            roll = self.rng.random()
            if roll < 0.35 and wanted - self.edges >= 2:  # a consumption adds two edges
                self._consume()
            elif roll < 0.65:
                self._call()
            elif roll < 0.95:
                self._table_use()
            else:
                self._use_database()

    def _later(self, service: _Service) -> _Service | None:
        """A service later in the order, often a popular one near the end (the core)."""
        count = len(self.services)
        if service.index >= count - 1:
            return None
        if self.rng.random() < 0.3:
            low = max(service.index + 1, count - max(3, count // 20))
            return self.services[self.rng.randrange(low, count)]
        step = 1 + int(self.rng.expovariate(1 / max(1.0, count / 10)))
        return self.services[min(count - 1, service.index + step)]

    def _consume(self) -> None:
        consumer = self.rng.choice(self.services)
        provider = self._later(consumer)
        if not consumer.backstage or provider is None or provider.api is None:
            return
        if (consumer.index, provider.index) in self.pairs:
            return
        self.pairs.add((consumer.index, provider.index))
        consumer.consumes.append(provider.api)
        self.edges += 2  # consumes, and the call derived from it

    def _call(self) -> None:
        caller = self.rng.choice(self.services)
        callee = self._later(caller)
        if callee is None or (caller.index, callee.index) in self.pairs:
            return
        self.pairs.add((caller.index, callee.index))
        if caller.interlock:
            caller.calls.append(callee.name)
        else:
            caller.depends_on.append(f"component:{callee.name}")
        self.edges += 1

    def _table_use(self) -> None:
        service = self.rng.choice(self.services)
        central = self.rng.random() < CENTRAL_SHARE
        owner, table, columns = self.tables[0] if central else self.rng.choice(self.tables)
        if not service.interlock or owner == service.index:
            return
        uses = service.writes if self.rng.random() < 0.25 else service.reads
        if table in uses:
            return
        uses[table] = self.rng.sample(columns, self.rng.randint(1, len(columns)))
        self.edges += 1

    def _use_database(self) -> None:
        service = self.rng.choice(self.services)
        owner = self.services[self.rng.choice(self.tables)[0]]
        database = next(iter(owner.databases))
        if not service.backstage or f"resource:{database}" in service.depends_on:
            return
        service.depends_on.append(f"resource:{database}")
        self.edges += 1

    def write(self, root: Path) -> int:
        files = 0
        for team in self.teams:
            folder = root / "teams" / team
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "catalog-info.yaml").write_text(_group(team))
            files += 1
        for service in self.services:
            folder = root / "services" / service.team / service.name
            folder.mkdir(parents=True, exist_ok=True)
            if service.backstage:
                (folder / "catalog-info.yaml").write_text(self._backstage(service, folder))
                files += 1
            if service.interlock:
                (folder / "interlock.yaml").write_text(_interlock(service))
                files += 1
        return files

    def _backstage(self, service: _Service, folder: Path) -> str:
        spec = [
            "  type: service",
            f"  lifecycle: {self.rng.choice(('production', 'production', 'experimental'))}",
            f"  owner: group:default/{service.team}",
            f"  system: system-{service.team}",
        ]
        for key, values in (
            ("providesApis", [service.api] if service.api else []),
            ("consumesApis", service.consumes),
            ("dependsOn", service.depends_on),
        ):
            if values:
                spec.append(f"  {key}:")
                spec += [f"    - {value}" for value in values]
        docs = [
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
            f"  name: {service.name}\n  description: The {service.name} service.\n"
            "spec:\n" + "\n".join(spec) + "\n"
        ]
        if service.api:
            if self.rng.random() < 0.25:
                (folder / "openapi.yaml").write_text(_openapi(service.api))
                definition = "\n    $text: ./openapi.yaml"
            else:
                definition = f" |\n    openapi: 3.1.0\n    info: {{title: {service.api}}}"
            docs.append(
                "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n"
                f"  name: {service.api}\nspec:\n  type: openapi\n  lifecycle: production\n"
                f"  owner: {service.team}\n  system: system-{service.team}\n"
                f"  definition:{definition}\n"
            )
        return "---\n".join(docs)


def _group(team: str) -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n"
        f"  name: {team}\nspec:\n  type: team\n  children: []\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n"
        f"  name: system-{team}\nspec:\n  owner: {team}\n"
    )


def _interlock(service: _Service) -> str:
    lines = ["apiVersion: interlock/v1", "kind: Service", f"name: {service.name}"]
    if not service.backstage:
        lines.append(f"owner: {service.team}")
    if service.calls:
        lines.append(f"calls: [{', '.join(service.calls)}]")
    if service.databases:
        lines.append("databases:")
        for database, tables in service.databases.items():
            lines += [f"  {database}:", "    tables:"]
            lines += [f"      {table}: [{', '.join(cols)}]" for table, cols in tables.items()]
    for key, uses in (("reads", service.reads), ("writes", service.writes)):
        if uses:
            lines.append(f"{key}:")
            lines += [f"  {table}: [{', '.join(cols)}]" for table, cols in uses.items()]
    return "\n".join(lines) + "\n"


def _openapi(title: str) -> str:
    return (
        "openapi: 3.1.0\n"
        f"info: {{title: {title}, version: 1.0.0}}\n"
        "paths:\n  /health:\n    get:\n      responses:\n        '200': {description: ok}\n"
    )
