"""The Pact Broker HTTP API, mounted by `interlock server` under `/broker`.

Each route parses the request, calls one function of `interlock.broker.api`, and answers
HAL+JSON; a `BrokerError` becomes its status with `{"error": ...}`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from interlock.broker import api
from interlock.broker.access import Caller, authorize, is_write
from interlock.broker.audit import AuditWriter
from interlock.broker.config import BrokerSettings
from interlock.broker.errors import BrokerError
from interlock.broker.hal import HAL_JSON
from interlock.broker.links import BASE_PATH
from interlock.broker.webhook_delivery import WebhookDispatcher
from interlock.broker.webhook_events import BrokerEvent, with_teams


class _BrokerRoute(APIRoute):
    """Checks the caller's right to the request, answers a `BrokerError` as the Pact Broker
    does (its status and a JSON message), and audits every write, allowed or refused."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            engine: Engine = request.app.state.engine
            method = request.method
            path = request.url.path[len(BASE_PATH) :] or "/"
            client = request.client.host if request.client else None
            authorization = request.headers.get("authorization")
            caller = Caller("anonymous" if authorization is None else "unknown token", None, client)
            try:
                caller = await run_in_threadpool(
                    authorize,
                    engine,
                    method=method,
                    path=path,
                    authorization=authorization,
                    client=client,
                    public_read=settings_of(request).public_read,
                )
                request.state.broker_caller = caller
                response = await _retrying(handler, request)
            except BrokerError as error:
                body = {"error": str(error), "errors": {"base": [str(error)]}}
                response = JSONResponse(body, status_code=error.status, media_type=HAL_JSON)
                if error.status == 401:
                    response.headers["WWW-Authenticate"] = 'Bearer realm="interlock broker"'
            if is_write(method, path):
                audit_of(request).add(engine, caller, method, path, response.status_code)
            return response

        return handle


_ATTEMPTS = 5


async def _retrying(
    handler: Callable[[Request], Coroutine[Any, Any, Response]], request: Request
) -> Response:
    """The handler's answer, run again when SQLite refused its transaction as busy.

    A SQLite transaction that reads, then writes, is refused at once (busy_timeout does not
    help) when another connection committed in between: the whole request is tried again.
    """
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return await handler(request)
        except OperationalError as error:
            if attempt == _ATTEMPTS or "database is locked" not in str(error):
                raise
            await asyncio.sleep(0.01 * attempt)
    raise AssertionError("unreachable")


router = APIRouter(prefix=BASE_PATH, tags=["broker"], route_class=_BrokerRoute)


class Hal(JSONResponse):
    """A HAL+JSON response."""

    media_type = HAL_JSON


def engine_of(request: Request) -> Engine:
    """FastAPI dependency: the server's database engine."""
    engine: Engine = request.app.state.engine
    return engine


def settings_of(request: Request) -> BrokerSettings:
    """The broker's settings (from the environment, unless `mount_broker` gave some)."""
    found = getattr(request.app.state, "broker_settings", None)
    if found is None:
        found = request.app.state.broker_settings = BrokerSettings.from_environment()
    return found


def base_of(request: Request) -> str:
    """FastAPI dependency: the broker's base URL as this client reached it."""
    return str(request.base_url).rstrip("/") + BASE_PATH


async def json_body(request: Request) -> Any:
    """FastAPI dependency: the request body as JSON (None when empty); 400 when malformed."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as error:
        raise BrokerError(f"body: expected JSON: {error}") from None


async def text_body(request: Request) -> str:
    """FastAPI dependency: the request body as text (a pact, kept as sent)."""
    return (await request.body()).decode("utf-8", errors="replace")


def audit_of(request: Request) -> AuditWriter:
    """The server's audit writer (made on first use when `mount_broker` made none)."""
    found = getattr(request.app.state, "broker_audit", None)
    if found is None:
        found = request.app.state.broker_audit = AuditWriter()
    return found


def dispatcher_of(request: Request) -> WebhookDispatcher:
    """The server's webhook dispatcher (made on first use when `mount_broker` made none)."""
    found = getattr(request.app.state, "broker_webhooks", None)
    if found is None:
        found = request.app.state.broker_webhooks = WebhookDispatcher(settings_of(request))
    return found


def notify_of(request: Request) -> api.Notify:
    """FastAPI dependency: hands a committed write's events to the webhooks."""
    engine = engine_of(request)
    dispatcher = dispatcher_of(request)

    owners = getattr(request.app.state, "broker_owners", None)

    def notify(events: list[BrokerEvent]) -> None:
        dispatcher.dispatch(engine, with_teams(events, owners) if owners else events)

    return notify


Db = Depends(engine_of)
Notify = Depends(notify_of)
Base = Depends(base_of)
Body = Depends(json_body)


@router.get("", include_in_schema=False)
@router.get("/")
def index(base: str = Base) -> Hal:
    """The HAL index: the relations Pact clients navigate from."""
    return Hal(api.index(base))


@router.post("/contracts/publish")
def publish_contracts(
    payload: Any = Body, engine: Engine = Db, base: str = Base, notify: api.Notify = Notify
) -> Hal:
    """Publish a consumer version's contracts with its branch, tags and build URL."""
    return Hal(api.publish(engine, base, payload, notify))


@router.put("/pacts/provider/{provider}/consumer/{consumer}/version/{version}")
def put_pact(
    provider: str,
    consumer: str,
    version: str,
    body: str = Depends(text_body),
    engine: Engine = Db,
    base: str = Base,
    notify: api.Notify = Notify,
) -> Hal:
    """Publish one pact for a consumer version."""
    return Hal(api.put_pact(engine, base, provider, consumer, version, body, notify))


@router.get("/pacts/provider/{provider}/consumer/{consumer}/version/{version}")
def get_pact(
    provider: str, consumer: str, version: str, engine: Engine = Db, base: str = Base
) -> Hal:
    """The pact a consumer version published."""
    return Hal(api.get_pact(engine, base, provider, consumer, version=version))


@router.get("/pacts/provider/{provider}/consumer/{consumer}/latest")
def get_latest_pact(provider: str, consumer: str, engine: Engine = Db, base: str = Base) -> Hal:
    """The latest pact between the two."""
    return Hal(api.get_pact(engine, base, provider, consumer))


@router.get("/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}")
def get_pact_version(
    provider: str, consumer: str, sha: str, engine: Engine = Db, base: str = Base
) -> Hal:
    """A pact by its content."""
    return Hal(api.get_pact(engine, base, provider, consumer, sha=sha))


@router.get("/pacts/provider/{provider}/latest")
def latest_provider_pacts(
    provider: str, specification: str | None = None, engine: Engine = Db, base: str = Base
) -> Hal:
    """The latest pact of each consumer of the provider (`?specification=database`: the
    latest database contract of each)."""
    return Hal(api.latest_provider_pacts(engine, base, provider, specification))


@router.get("/pacts/provider/{provider}/for-verification")
def for_verification_default(provider: str, engine: Engine = Db, base: str = Base) -> Hal:
    """The pacts chosen by the default selectors; clients GET this, then POST to its self link."""
    return Hal(api.for_verification(engine, base, provider, None))


@router.post("/pacts/provider/{provider}/for-verification")
def for_verification(
    provider: str, payload: Any = Body, engine: Engine = Db, base: str = Base
) -> Hal:
    """The pacts a provider version must verify, chosen by consumer version selectors."""
    return Hal(api.for_verification(engine, base, provider, payload))


@router.post(
    "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results",
    status_code=201,
)
def publish_verification(
    provider: str,
    consumer: str,
    sha: str,
    payload: Any = Body,
    engine: Engine = Db,
    base: str = Base,
    notify: api.Notify = Notify,
) -> Hal:
    """Publish a provider version's verification result of a pact content."""
    data = api.publish_verification(engine, base, provider, consumer, sha, payload, notify)
    return Hal(data, status_code=201)


@router.get(
    "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results/{number}"
)
def get_verification(
    provider: str, consumer: str, sha: str, number: int, engine: Engine = Db, base: str = Base
) -> Hal:
    """One verification result."""
    return Hal(api.get_verification(engine, base, provider, consumer, sha, number))


@router.get("/pacticipants")
def list_pacticipants(engine: Engine = Db, base: str = Base) -> Hal:
    """Every pacticipant."""
    return Hal(api.list_pacticipants(engine, base))


@router.post("/pacticipants", status_code=201)
def create_pacticipant(payload: Any = Body, engine: Engine = Db, base: str = Base) -> Hal:
    """Create a pacticipant (`name`, `displayName`, `mainBranch`, `repositoryUrl`)."""
    name = payload.get("name") if isinstance(payload, dict) else None
    if not isinstance(name, str) or not name:
        raise BrokerError("body.name: expected the pacticipant's name")
    return Hal(api.put_pacticipant(engine, base, name, payload), status_code=201)


@router.get("/pacticipants/{name}")
def get_pacticipant(name: str, engine: Engine = Db, base: str = Base) -> Hal:
    """A pacticipant."""
    return Hal(api.get_pacticipant(engine, base, name))


@router.put("/pacticipants/{name}")
@router.patch("/pacticipants/{name}")
def put_pacticipant(name: str, payload: Any = Body, engine: Engine = Db, base: str = Base) -> Hal:
    """Create or update a pacticipant."""
    return Hal(api.put_pacticipant(engine, base, name, payload))


@router.get("/pacticipants/{name}/latest-version")
def latest_version(name: str, engine: Engine = Db, base: str = Base) -> Hal:
    """The pacticipant's latest version."""
    return Hal(api.latest_version(engine, base, name))


@router.get("/pacticipants/{name}/latest-version/{tag}")
def latest_tagged_version(name: str, tag: str, engine: Engine = Db, base: str = Base) -> Hal:
    """The pacticipant's latest version with the tag."""
    return Hal(api.latest_version(engine, base, name, tag=tag))


@router.get("/pacticipants/{name}/branches/{branch}/latest-version")
def latest_branch_version(name: str, branch: str, engine: Engine = Db, base: str = Base) -> Hal:
    """The pacticipant's latest version on the branch."""
    return Hal(api.latest_version(engine, base, name, branch=branch))


@router.get("/pacticipants/{name}/versions/{number}")
def get_version(name: str, number: str, engine: Engine = Db, base: str = Base) -> Hal:
    """One version, with its branches, tags and record-deployment links."""
    return Hal(api.get_version(engine, base, name, number))


@router.put("/pacticipants/{name}/versions/{number}")
def put_version(
    name: str, number: str, payload: Any = Body, engine: Engine = Db, base: str = Base
) -> Hal:
    """Create a version."""
    return Hal(api.put_version(engine, base, name, number, payload))


@router.put("/pacticipants/{name}/branches/{branch}/versions/{number}")
def put_branch_version(
    name: str, branch: str, number: str, engine: Engine = Db, base: str = Base
) -> Hal:
    """Put a version on a branch."""
    return Hal(api.put_branch_version(engine, base, name, branch, number))


@router.delete("/pacticipants/{name}/branches/{branch}", status_code=204)
def delete_branch(name: str, branch: str, engine: Engine = Db) -> Response:
    """Forget a branch."""
    api.delete_branch(engine, name, branch)
    return Response(status_code=204)


@router.put("/pacticipants/{name}/versions/{number}/tags/{tag}")
def put_tag(name: str, number: str, tag: str, engine: Engine = Db, base: str = Base) -> Hal:
    """Tag a version."""
    return Hal(api.put_tag(engine, base, name, number, tag), status_code=201)


@router.delete("/pacticipants/{name}/versions/{number}/tags/{tag}", status_code=204)
def delete_tag(name: str, number: str, tag: str, engine: Engine = Db) -> Response:
    """Remove a tag from a version."""
    api.delete_tag(engine, name, number, tag)
    return Response(status_code=204)


@router.post(
    "/pacticipants/{name}/versions/{number}/deployed-versions/environment/{environment}",
    status_code=201,
)
def record_deployment(
    name: str,
    number: str,
    environment: str,
    payload: Any = Body,
    engine: Engine = Db,
    base: str = Base,
) -> Hal:
    """Record that a version is deployed to an environment."""
    data = api.record_deployment(engine, base, name, number, environment, "deployed", payload)
    return Hal(data, status_code=201)


@router.post(
    "/pacticipants/{name}/versions/{number}/released-versions/environment/{environment}",
    status_code=201,
)
def record_release(
    name: str,
    number: str,
    environment: str,
    payload: Any = Body,
    engine: Engine = Db,
    base: str = Base,
) -> Hal:
    """Record that a version is released to an environment."""
    data = api.record_deployment(engine, base, name, number, environment, "released", payload)
    return Hal(data, status_code=201)


@router.get("/environments")
def list_environments(name: str | None = None, engine: Engine = Db, base: str = Base) -> Hal:
    """Every environment."""
    return Hal(api.list_environments(engine, base, name))


@router.post("/environments", status_code=201)
def create_environment(payload: Any = Body, engine: Engine = Db, base: str = Base) -> Hal:
    """Create an environment."""
    return Hal(api.create_environment(engine, base, payload), status_code=201)


@router.get("/environments/{key}")
def get_environment(key: str, engine: Engine = Db, base: str = Base) -> Hal:
    """One environment (by uuid or name)."""
    return Hal(api.get_environment(engine, base, key))


@router.put("/environments/{key}")
def update_environment(key: str, payload: Any = Body, engine: Engine = Db, base: str = Base) -> Hal:
    """Change an environment."""
    return Hal(api.update_environment(engine, base, key, payload))


@router.delete("/environments/{key}", status_code=204)
def delete_environment(key: str, engine: Engine = Db) -> Response:
    """Delete an environment."""
    api.delete_environment(engine, key)
    return Response(status_code=204)


@router.get("/environments/{key}/deployed-versions/currently-deployed")
def currently_deployed(
    key: str, pacticipant: str | None = None, engine: Engine = Db, base: str = Base
) -> Hal:
    """What is deployed in the environment now."""
    return Hal(api.currently_deployed(engine, base, key, "deployed", pacticipant))


@router.get("/environments/{key}/released-versions/currently-supported")
def currently_supported(
    key: str, pacticipant: str | None = None, engine: Engine = Db, base: str = Base
) -> Hal:
    """What is released and supported in the environment now."""
    return Hal(api.currently_deployed(engine, base, key, "released", pacticipant))


@router.get("/deployed-versions/{uuid}")
def get_deployed_version(uuid: str, engine: Engine = Db, base: str = Base) -> Hal:
    """One deployed version."""
    return Hal(api.get_deployment(engine, base, uuid, "deployed"))


@router.patch("/deployed-versions/{uuid}")
def patch_deployed_version(
    uuid: str, payload: Any = Body, engine: Engine = Db, base: str = Base
) -> Hal:
    """`{"currentlyDeployed": false}`: record that the version was undeployed."""
    return Hal(api.end_deployment(engine, base, uuid, "deployed", payload))


@router.get("/released-versions/{uuid}")
def get_released_version(uuid: str, engine: Engine = Db, base: str = Base) -> Hal:
    """One released version."""
    return Hal(api.get_deployment(engine, base, uuid, "released"))


@router.patch("/released-versions/{uuid}")
def patch_released_version(
    uuid: str, payload: Any = Body, engine: Engine = Db, base: str = Base
) -> Hal:
    """`{"currentlySupported": false}`: record that support for the release ended."""
    return Hal(api.end_deployment(engine, base, uuid, "released", payload))


@router.get("/matrix")
def matrix(request: Request, engine: Engine = Db, base: str = Base) -> Hal:
    """The verification matrix for the selected versions (`q[][pacticipant]=...`)."""
    return Hal(api.matrix(engine, base, request.query_params.multi_items()))


@router.get("/can-i-deploy")
def can_i_deploy(request: Request, engine: Engine = Db, base: str = Base) -> Hal:
    """Can this version go to that environment?"""
    return Hal(api.can_i_deploy(engine, base, request.query_params.multi_items()))


@router.get(
    "/pacticipants/{name}/branches/{branch}/latest-version/can-i-deploy/to-environment/{environment}"
)
def can_i_deploy_branch(
    name: str, branch: str, environment: str, engine: Engine = Db, base: str = Base
) -> Hal:
    """Can the latest version of the branch go to the environment?"""
    return Hal(api.can_i_deploy_branch(engine, base, name, branch, environment))


@router.get("/webhooks")
def list_webhooks(engine: Engine = Db, base: str = Base) -> Hal:
    """Every webhook."""
    return Hal(api.list_webhooks(engine, base))


@router.post("/webhooks", status_code=201)
def create_webhook(payload: Any = Body, engine: Engine = Db, base: str = Base) -> Hal:
    """Create a webhook: events, a request template, optionally a consumer and a provider."""
    data = api.create_webhook(engine, base, payload)
    return Hal(data, status_code=201, headers={"Location": data["_links"]["self"]["href"]})


@router.post("/webhooks/provider/{provider}/consumer/{consumer}", status_code=201)
def create_pair_webhook(
    provider: str, consumer: str, payload: Any = Body, engine: Engine = Db, base: str = Base
) -> Hal:
    """Create a webhook for the pacts between one consumer and one provider."""
    data = api.create_webhook(engine, base, payload, consumer=consumer, provider=provider)
    return Hal(data, status_code=201, headers={"Location": data["_links"]["self"]["href"]})


@router.get("/webhooks/executions")
def all_webhook_executions(engine: Engine = Db, base: str = Base) -> Hal:
    """Every webhook's latest delivery attempts."""
    return Hal(api.webhook_executions(engine, base, None))


@router.get("/webhooks/{key}")
def get_webhook(key: str, engine: Engine = Db, base: str = Base) -> Hal:
    """One webhook."""
    return Hal(api.get_webhook(engine, base, key))


@router.put("/webhooks/{key}")
def update_webhook(key: str, payload: Any = Body, engine: Engine = Db, base: str = Base) -> Hal:
    """Replace a webhook's definition."""
    return Hal(api.update_webhook(engine, base, key, payload))


@router.delete("/webhooks/{key}", status_code=204)
def delete_webhook(key: str, engine: Engine = Db) -> Response:
    """Delete a webhook and its runs."""
    api.delete_webhook(engine, key)
    return Response(status_code=204)


@router.get("/webhooks/{key}/executions")
def webhook_executions(key: str, engine: Engine = Db, base: str = Base) -> Hal:
    """The webhook's delivery attempts, newest first."""
    return Hal(api.webhook_executions(engine, base, key))


@router.post("/webhooks/{key}/execute")
def execute_webhook(
    key: str,
    engine: Engine = Db,
    base: str = Base,
    dispatcher: WebhookDispatcher = Depends(dispatcher_of),
) -> Hal:
    """Send the webhook once now, with example values; what the receiver answered."""
    return Hal(api.execute_webhook(engine, base, key, dispatcher))
