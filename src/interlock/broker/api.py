"""Each broker endpoint as one function: a transaction, the domain call, the HAL answer.

Routes parse the request and call exactly one of these; the CLI and tests may call them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine

from interlock.broker import environments as envs
from interlock.broker import hal, hal_webhooks, records, webhooks
from interlock.broker.errors import BrokerError, NotFoundError
from interlock.broker.for_verification import pacts_for_verification
from interlock.broker.matrix import query_matrix
from interlock.broker.matrix_query import (
    MatrixQuery,
    VersionSelector,
    parse_can_i_deploy_params,
    parse_matrix_params,
)
from interlock.broker.pacts import (
    SPECIFICATIONS,
    latest_contracts_for_provider,
    publish_contract,
    require_contract,
)
from interlock.broker.publishing import publish_contracts
from interlock.broker.verifications import read_verification, record_verification
from interlock.broker.webhook_delivery import WebhookDispatcher, webhook_runs
from interlock.broker.webhook_events import (
    BrokerEvent,
    publication_events,
    verification_events,
    wanted_events,
)
from interlock.incidents import raise_alert, record_change, verification_alert

Params = Iterable[tuple[str, str]]
Notify = Callable[[list[BrokerEvent]], None]
"""Hands the events of a committed write to the webhooks."""


def _ignore(_events: list[BrokerEvent]) -> None:
    pass


def index(base: str) -> dict[str, Any]:
    """The HAL index."""
    return hal.index(base)


def put_pact(
    engine: Engine,
    base: str,
    provider: str,
    consumer: str,
    version: str,
    body: str,
    notify: Notify = _ignore,
) -> dict[str, Any]:
    """Publish one pact (the body) for a consumer version."""
    with engine.begin() as connection:
        record = publish_contract(
            connection, consumer=consumer, provider=provider, version=version, content=body
        )
        answer = hal.pact(base, record)
        events = publication_events(connection, base, record, wanted_events(connection))
    notify(events)
    return answer


def get_pact(
    engine: Engine,
    base: str,
    provider: str,
    consumer: str,
    *,
    version: str | None = None,
    sha: str | None = None,
) -> dict[str, Any]:
    """A pact by consumer version, by content, or the latest."""
    with engine.connect() as connection:
        found = require_contract(connection, provider, consumer, version=version, sha=sha)
        return hal.pact(base, found)


def latest_provider_pacts(
    engine: Engine, base: str, provider: str, specification: str | None = None
) -> dict[str, Any]:
    """The latest pact of each consumer of the provider; with `specification` (an Interlock
    extension) the latest contract of that kind, linked by content since a version's pact
    and database contract share its version URL."""
    if specification is not None and specification not in SPECIFICATIONS:
        raise BrokerError(f"specification: expected one of {', '.join(SPECIFICATIONS)}")
    with engine.connect() as connection:
        found = latest_contracts_for_provider(connection, provider, specification)
    link = "pb:pact-version" if specification else "self"
    return {
        "_links": {
            "self": {"href": f"{base}/pacts/provider/{provider}/latest"},
            "pb:pacts": [
                {
                    "href": hal.pact(base, r)["_links"][link]["href"],
                    "title": "Pact",
                    "name": f"Pact between {r.consumer} ({r.consumer_version}) and {r.provider}",
                    "specification": r.specification,
                }
                for r in found
            ],
        }
    }


def publish(engine: Engine, base: str, payload: Any, notify: Notify = _ignore) -> dict[str, Any]:
    """`POST /contracts/publish`."""
    with engine.begin() as connection:
        done = publish_contracts(connection, payload)
        wanted = wanted_events(connection)
        events = [
            e for r in done.contracts for e in publication_events(connection, base, r, wanted)
        ]
    notify(events)
    return hal.published(base, done.consumer, done.version, list(done.contracts), list(done.tags))


def for_verification(engine: Engine, base: str, provider: str, payload: Any) -> dict[str, Any]:
    """`POST /pacts/provider/{provider}/for-verification`."""
    with engine.connect() as connection:
        found = pacts_for_verification(connection, provider, payload, base)
    return hal.for_verification(base, provider, found)


def publish_verification(
    engine: Engine,
    base: str,
    provider: str,
    consumer: str,
    sha: str,
    payload: Any,
    notify: Notify = _ignore,
) -> dict[str, Any]:
    """`POST .../pact-version/{sha}/verification-results`."""
    with engine.begin() as connection:
        found = record_verification(connection, provider, consumer, sha, payload)
        # In the same transaction: a failed result is an alert on the provider (a pass
        # resolves the pair's alert; the incidents desk drops a pass with nothing firing).
        raise_alert(
            connection,
            verification_alert(
                consumer=found.consumer,
                provider=found.provider,
                provider_version=found.provider_version,
                success=found.success,
                verified_at=found.verified_at,
                build_url=found.build_url,
            ),
        )
        events = verification_events(connection, base, found, wanted_events(connection))
    notify(events)
    return hal.verification(base, found)


def get_verification(
    engine: Engine, base: str, provider: str, consumer: str, sha: str, verification_id: int
) -> dict[str, Any]:
    """One verification result."""
    with engine.connect() as connection:
        found = read_verification(connection, provider, consumer, sha, verification_id)
        return hal.verification(base, found)


def get_pacticipant(engine: Engine, base: str, name: str) -> dict[str, Any]:
    """A pacticipant."""
    with engine.connect() as connection:
        return hal.pacticipant(base, records.require_pacticipant(connection, name))


def put_pacticipant(engine: Engine, base: str, name: str, payload: Any) -> dict[str, Any]:
    """Create or update a pacticipant (displayName, mainBranch, repositoryUrl)."""
    fields = payload if isinstance(payload, dict) else {}
    with engine.begin() as connection:
        return hal.pacticipant(base, records.update_pacticipant(connection, name, fields))


def list_pacticipants(engine: Engine, base: str) -> dict[str, Any]:
    """Every pacticipant."""
    with engine.connect() as connection:
        return hal.pacticipants(base, records.list_pacticipants(connection))


def get_version(engine: Engine, base: str, pacticipant: str, number: str) -> dict[str, Any]:
    """One version of a pacticipant."""
    with engine.connect() as connection:
        version_id = records.require_version_id(connection, pacticipant, number)
        return hal.version(
            base,
            records.describe_version(connection, version_id),
            envs.list_environments(connection),
        )


def latest_version(
    engine: Engine, base: str, pacticipant: str, tag: str | None = None, branch: str | None = None
) -> dict[str, Any]:
    """The latest version of a pacticipant (with a tag, or on a branch)."""
    with engine.connect() as connection:
        found = records.require_pacticipant(connection, pacticipant)
        version_id = records.latest_version_id(connection, found.id, tag=tag, branch=branch)
        if version_id is None:
            raise NotFoundError(f"{pacticipant} has no such version")
        return hal.version(
            base,
            records.describe_version(connection, version_id),
            envs.list_environments(connection),
        )


def put_version(
    engine: Engine, base: str, pacticipant: str, number: str, payload: Any
) -> dict[str, Any]:
    """Create a version (with buildUrl, branch, tags)."""
    fields = payload if isinstance(payload, dict) else {}
    with engine.begin() as connection:
        pacticipant_id = records.ensure_pacticipant(connection, pacticipant)
        version_id = records.ensure_version(
            connection, pacticipant_id, number, fields.get("buildUrl")
        )
        if isinstance(fields.get("branch"), str) and fields["branch"]:
            records.add_branch(connection, pacticipant_id, version_id, fields["branch"])
        for tag in fields.get("tags") or []:
            if isinstance(tag, str) and tag:
                records.add_tag(connection, version_id, tag)
        return hal.version(
            base,
            records.describe_version(connection, version_id),
            envs.list_environments(connection),
        )


def put_branch_version(
    engine: Engine, base: str, pacticipant: str, branch: str, number: str
) -> dict[str, Any]:
    """Put a version (created if new) on a branch."""
    return put_version(engine, base, pacticipant, number, {"branch": branch})


def put_tag(engine: Engine, base: str, pacticipant: str, number: str, tag: str) -> dict[str, Any]:
    """Tag a version (created if new)."""
    put_version(engine, base, pacticipant, number, {"tags": [tag]})
    return {"name": tag, "_links": {"self": {"href": f"{base}/pacticipants/{pacticipant}"}}}


def delete_tag(engine: Engine, pacticipant: str, number: str, tag: str) -> None:
    """Remove a tag from a version."""
    with engine.begin() as connection:
        version_id = records.require_version_id(connection, pacticipant, number)
        records.remove_tag(connection, version_id, tag)


def delete_branch(engine: Engine, pacticipant: str, branch: str) -> None:
    """Forget a branch (its versions stay)."""
    with engine.begin() as connection:
        found = records.require_pacticipant(connection, pacticipant)
        records.delete_branch(connection, found.id, branch)


def list_environments(engine: Engine, base: str, name: str | None = None) -> dict[str, Any]:
    """Every environment (or the one named)."""
    with engine.connect() as connection:
        return hal.environments(base, envs.list_environments(connection, name))


def create_environment(engine: Engine, base: str, payload: Any) -> dict[str, Any]:
    """Create an environment."""
    with engine.begin() as connection:
        return hal.environment(base, envs.create_environment(connection, payload))


def get_environment(engine: Engine, base: str, key: str) -> dict[str, Any]:
    """One environment, by uuid or name."""
    with engine.connect() as connection:
        return hal.environment(base, envs.require_environment(connection, key))


def update_environment(engine: Engine, base: str, key: str, payload: Any) -> dict[str, Any]:
    """Change an environment."""
    with engine.begin() as connection:
        return hal.environment(base, envs.update_environment(connection, key, payload))


def delete_environment(engine: Engine, key: str) -> None:
    """Delete an environment."""
    with engine.begin() as connection:
        envs.delete_environment(connection, key)


def record_deployment(
    engine: Engine,
    base: str,
    pacticipant: str,
    number: str,
    environment: str,
    kind: str,
    payload: Any,
) -> dict[str, Any]:
    """Record a deployment (or release) of a version to an environment."""
    fields = payload if isinstance(payload, dict) else {}
    instance = fields.get("applicationInstance") or fields.get("target")
    with engine.begin() as connection:
        found = envs.record_deployment(
            connection,
            pacticipant=pacticipant,
            version=number,
            environment=environment,
            kind=kind,
            application_instance=str(instance) if instance else None,
        )
        answer = hal.deployment(base, found)
    if kind == "deployed":
        # After the commit: the incidents view lays each deployment beside later alerts.
        record_change(
            engine,
            service=pacticipant,
            kind="deploy",
            version=number,
            environment=found.environment.name,
            summary=f"{pacticipant} {number} deployed to {found.environment.name}",
            occurred_at=found.created_at,
            attributes={"source": "broker", "deployment": found.uuid},
        )
    return answer


def currently_deployed(
    engine: Engine, base: str, environment: str, kind: str, pacticipant: str | None
) -> dict[str, Any]:
    """What is deployed (or supported) in an environment now."""
    with engine.connect() as connection:
        found = envs.current_deployments(connection, environment, kind, pacticipant)
    return hal.deployments(base, found, kind)


def get_deployment(engine: Engine, base: str, uuid: str, kind: str) -> dict[str, Any]:
    """One deployed or released version."""
    with engine.connect() as connection:
        found = envs.require_deployment(connection, uuid)
        if found.kind != kind:
            raise NotFoundError(f"no {kind} version {uuid!r}")
        return hal.deployment(base, found)


def end_deployment(engine: Engine, base: str, uuid: str, kind: str, payload: Any) -> dict[str, Any]:
    """`PATCH {"currentlyDeployed": false}` (or `currentlySupported`): the version left."""
    field = "currentlyDeployed" if kind == "deployed" else "currentlySupported"
    fields = payload if isinstance(payload, dict) else {}
    with engine.begin() as connection:
        if fields.get(field) is False:
            return hal.deployment(base, envs.end_deployment(connection, uuid, kind))
        return hal.deployment(base, envs.require_deployment(connection, uuid))


def matrix(engine: Engine, base: str, params: Params) -> dict[str, Any]:
    """`GET /matrix?q[][pacticipant]=...`."""
    return run_matrix(engine, base, parse_matrix_params(params))


def can_i_deploy(engine: Engine, base: str, params: Params) -> dict[str, Any]:
    """`GET /can-i-deploy?pacticipant=&version=&environment=`."""
    return run_matrix(engine, base, parse_can_i_deploy_params(params))


def can_i_deploy_branch(
    engine: Engine, base: str, pacticipant: str, branch: str, environment: str
) -> dict[str, Any]:
    """Can the latest version of a branch go to the environment?"""
    query = MatrixQuery(
        (VersionSelector(pacticipant, branch=branch, latest=True),), environment=environment
    )
    return run_matrix(engine, base, query)


def run_matrix(engine: Engine, base: str, query: MatrixQuery) -> dict[str, Any]:
    """The matrix answer for a parsed query."""
    with engine.connect() as connection:
        return hal.matrix(base, query_matrix(connection, query))


def list_webhooks(engine: Engine, base: str) -> dict[str, Any]:
    """`GET /webhooks`."""
    with engine.connect() as connection:
        return hal_webhooks.webhooks(base, webhooks.list_webhooks(connection))


def create_webhook(
    engine: Engine,
    base: str,
    payload: Any,
    consumer: str | None = None,
    provider: str | None = None,
) -> dict[str, Any]:
    """`POST /webhooks` (or `/webhooks/provider/{p}/consumer/{c}`)."""
    values = webhooks.parse_webhook(payload, consumer=consumer, provider=provider)
    with engine.begin() as connection:
        return hal_webhooks.webhook(base, webhooks.create_webhook(connection, values))


def get_webhook(engine: Engine, base: str, key: str) -> dict[str, Any]:
    """`GET /webhooks/{uuid}`."""
    with engine.connect() as connection:
        return hal_webhooks.webhook(base, webhooks.require_webhook(connection, key))


def update_webhook(engine: Engine, base: str, key: str, payload: Any) -> dict[str, Any]:
    """`PUT /webhooks/{uuid}`: replace its definition."""
    values = webhooks.parse_webhook(payload)
    with engine.begin() as connection:
        return hal_webhooks.webhook(base, webhooks.update_webhook(connection, key, values))


def delete_webhook(engine: Engine, key: str) -> None:
    """`DELETE /webhooks/{uuid}`."""
    with engine.begin() as connection:
        webhooks.delete_webhook(connection, key)


def webhook_executions(engine: Engine, base: str, key: str | None) -> dict[str, Any]:
    """`GET /webhooks/{uuid}/executions`: its delivery attempts, newest first."""
    if key is not None:
        with engine.connect() as connection:
            webhooks.require_webhook(connection, key)
    return hal_webhooks.runs(base, key, webhook_runs(engine, key))


def execute_webhook(
    engine: Engine, base: str, key: str, dispatcher: WebhookDispatcher
) -> dict[str, Any]:
    """`POST /webhooks/{uuid}/execute`: send it now with example values, once, and answer
    what the receiver said."""
    with engine.connect() as connection:
        found = webhooks.require_webhook(connection, key)
    consumer, provider = found.consumer or "a-consumer", found.provider or "a-provider"
    example = BrokerEvent(
        "contract_published",
        consumer,
        provider,
        {"consumerName": consumer, "providerName": provider, "eventName": "contract_published"},
    )
    runs = dispatcher.deliver(engine, found, example, attempts=1)
    return hal_webhooks.runs(base, key, runs)
