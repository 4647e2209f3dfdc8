"""The broker's resources as HAL+JSON, in the shapes the official Pact clients read.

Relation names (`pb:*`) and field names follow the Pact Broker's API so that clients
navigating by relation find what they expect.
"""

from __future__ import annotations

from typing import Any

from interlock.broker.environments import Deployment, Environment
from interlock.broker.for_verification import PactToVerify
from interlock.broker.links import (
    BASE_PATH,
    environment_url,
    pact_url,
    pact_version_url,
    pacticipant_url,
    segment,
    verification_results_url,
    version_url,
)
from interlock.broker.matrix import MatrixResult, MatrixRow
from interlock.broker.pacts import PactRecord
from interlock.broker.records import Pacticipant, Version, rfc3339
from interlock.broker.verifications import Verification

HAL_JSON = "application/hal+json;charset=utf-8"


def _link(href: str, title: str | None = None, *, templated: bool = False) -> dict[str, Any]:
    link: dict[str, Any] = {"href": href}
    if title:
        link["title"] = title
    if templated:
        link["templated"] = True
    return link


def index(base: str) -> dict[str, Any]:
    """The broker's entry point: every relation a client starts from."""
    templated = {
        "pb:publish-pact": (
            "/pacts/provider/{provider}/consumer/{consumer}/version/{consumerApplicationVersion}",
            "Publish a pact",
        ),
        "pb:pacticipant": ("/pacticipants/{pacticipant}", "Fetch pacticipant by name"),
        "pb:pacticipant-version": (
            "/pacticipants/{pacticipant}/versions/{version}",
            "Get, create or delete a pacticipant version",
        ),
        "pb:latest-version": (
            "/pacticipants/{pacticipant}/latest-version",
            "Latest pacticipant version",
        ),
        "pb:latest-tagged-version": (
            "/pacticipants/{pacticipant}/latest-version/{tag}",
            "Latest pacticipant version with the specified tag",
        ),
        "pb:latest-provider-pacts": (
            "/pacts/provider/{provider}/latest",
            "Latest pacts by provider",
        ),
        "pb:provider-pacts-for-verification": (
            "/pacts/provider/{provider}/for-verification",
            "Pact versions to be verified for the specified provider",
        ),
        "pb:environment": ("/environments/{uuid}", "Environment"),
        "pb:can-i-deploy-pacticipant-version-to-environment": (
            "/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}",
            "Can I deploy a pacticipant version to an environment?",
        ),
        "pb:can-i-deploy-branch-to-environment": (
            "/pacticipants/{pacticipant}/branches/{branch}/latest-version/can-i-deploy"
            "/to-environment/{environment}",
            "Can I deploy the latest version of a branch to an environment?",
        ),
    }
    plain = {
        "pb:publish-contracts": ("/contracts/publish", "Publish contracts"),
        "pb:pacticipants": ("/pacticipants", "Pacticipants"),
        "pb:environments": ("/environments", "Environments"),
        "pb:matrix": ("/matrix", "The matrix of verifications"),
        "pb:webhooks": ("/webhooks", "Webhooks"),
    }
    links: dict[str, Any] = {"self": _link(base, "Index")}
    for rel, (path, title) in plain.items():
        links[rel] = _link(base + path, title)
    for rel, (path, title) in templated.items():
        links[rel] = _link(base + path, title, templated=True)
    links["curies"] = [{"name": "pb", "href": f"{base}/doc/{{rel}}", "templated": True}]
    return {
        "_links": links,
        "interlock": {
            "brokerBaseUrl": base,
            "note": (
                f"The Pact Broker API of interlock server lives under {BASE_PATH}: give Pact "
                f"clients --broker-base-url {base}"
            ),
        },
    }


def pacticipant(base: str, found: Pacticipant) -> dict[str, Any]:
    """A pacticipant with the relations to its versions, branches and tags."""
    url = pacticipant_url(base, found.name)
    return {
        "name": found.name,
        "displayName": found.display_name,
        "mainBranch": found.main_branch,
        "repositoryUrl": found.repository_url,
        "createdAt": rfc3339(found.created_at),
        "_links": {
            "self": _link(url, found.name),
            "pb:versions": _link(f"{url}/versions"),
            "pb:version": _link(f"{url}/versions/{{version}}", templated=True),
            "pb:version-tag": _link(f"{url}/versions/{{version}}/tags/{{tag}}", templated=True),
            "pb:branch-version": _link(
                f"{url}/branches/{{branch}}/versions/{{version}}", templated=True
            ),
            "pb:latest-version": _link(f"{url}/latest-version"),
        },
    }


def pacticipants(base: str, found: list[Pacticipant]) -> dict[str, Any]:
    """Every pacticipant."""
    return {
        "_embedded": {"pacticipants": [pacticipant(base, p) for p in found]},
        "_links": {"self": _link(f"{base}/pacticipants")},
    }


def version(base: str, found: Version, environments: list[Environment]) -> dict[str, Any]:
    """A version with its branches, tags, and one record-deployment link per environment."""
    url = version_url(base, found.pacticipant, found.number)
    return {
        "number": found.number,
        "buildUrl": found.build_url,
        "createdAt": rfc3339(found.created_at),
        "_embedded": {
            "branchVersions": [
                {
                    "name": branch,
                    "_links": {
                        "self": _link(
                            f"{pacticipant_url(base, found.pacticipant)}/branches/"
                            f"{segment(branch)}/versions/{segment(found.number)}"
                        )
                    },
                }
                for branch in found.branches
            ],
            "tags": [
                {"name": tag, "_links": {"self": _link(f"{url}/tags/{segment(tag)}")}}
                for tag in found.tags
            ],
        },
        "_links": {
            "self": _link(url, found.number),
            "pb:pacticipant": _link(pacticipant_url(base, found.pacticipant), found.pacticipant),
            "pb:tag": _link(f"{url}/tags/{{tag}}", templated=True),
            "pb:record-deployment": [
                {
                    "name": env.name,
                    "title": f"Record deployment to {env.display_name or env.name}",
                    "href": f"{url}/deployed-versions/environment/{env.uuid}",
                }
                for env in environments
            ],
            "pb:record-release": [
                {
                    "name": env.name,
                    "title": f"Record release to {env.display_name or env.name}",
                    "href": f"{url}/released-versions/environment/{env.uuid}",
                }
                for env in environments
            ],
        },
    }


def pact(base: str, record: PactRecord) -> dict[str, Any]:
    """The contract exactly as published, with the broker's `_links` added."""
    document: dict[str, Any] = record.document()
    document["_links"] = {
        "self": _link(
            pact_url(base, record.provider, record.consumer, record.consumer_version),
            f"Pact between {record.consumer} ({record.consumer_version}) and {record.provider}",
        ),
        "pb:pact-version": _link(
            pact_version_url(base, record.provider, record.consumer, record.sha), record.sha
        ),
        "pb:consumer": _link(pacticipant_url(base, record.consumer), record.consumer),
        "pb:consumer-version": _link(
            version_url(base, record.consumer, record.consumer_version), record.consumer_version
        ),
        "pb:provider": _link(pacticipant_url(base, record.provider), record.provider),
        "pb:publish-verification-results": _link(
            verification_results_url(base, record.provider, record.consumer, record.sha),
            "Publish verification results",
        ),
    }
    return document


def published(
    base: str, consumer: str, number: str, records: list[PactRecord], tags: list[str]
) -> dict[str, Any]:
    """The answer to `POST /contracts/publish`: notices, and links to what was stored."""
    notices = [
        {"type": "success", "text": f"Created {consumer} version {number}"},
        *[
            {
                "type": "success",
                "text": (
                    f"Pact published for {r.consumer} version {r.consumer_version} and "
                    f"provider {r.provider} (content {r.sha[:12]})."
                ),
            }
            for r in records
        ],
    ]
    version_link = version_url(base, consumer, number)
    return {
        "notices": notices,
        "logs": [],
        "_embedded": {
            "pacticipant": {
                "name": consumer,
                "_links": {"self": _link(pacticipant_url(base, consumer))},
            },
            "version": {
                "number": number,
                "_links": {"self": {"href": version_link, "name": number, "title": "Version"}},
            },
        },
        "_links": {
            "pb:pacticipant": {
                "href": pacticipant_url(base, consumer),
                "name": consumer,
                "title": "Pacticipant",
            },
            "pb:pacticipant-version": {"href": version_link, "name": number, "title": "Version"},
            "pb:pacticipant-version-tags": [
                {"href": f"{version_link}/tags/{segment(t)}", "name": t, "title": "Tag"}
                for t in tags
            ],
            "pb:contracts": [
                {
                    "href": pact_url(base, r.provider, r.consumer, r.consumer_version),
                    "name": f"Pact between {r.consumer} ({r.consumer_version}) and {r.provider}",
                    "title": "Pact",
                }
                for r in records
            ],
        },
    }


def verification(base: str, found: Verification) -> dict[str, Any]:
    """A published verification result."""
    results = verification_results_url(base, found.provider, found.consumer, found.sha)
    return {
        "providerName": found.provider,
        "providerApplicationVersion": found.provider_version,
        "success": found.success,
        "verifiedAt": rfc3339(found.verified_at),
        "buildUrl": found.build_url,
        "verifiedBy": found.verified_by,
        "testResults": found.test_results,
        "_links": {
            "self": _link(f"{results}/{found.id}", "Verification result"),
            "pb:pact-version": _link(
                pact_version_url(base, found.provider, found.consumer, found.sha)
            ),
        },
    }


def environment(base: str, found: Environment) -> dict[str, Any]:
    """An environment with the relations to what is deployed or released there."""
    url = environment_url(base, found.uuid)
    return {
        "uuid": found.uuid,
        "name": found.name,
        "displayName": found.display_name,
        "production": found.production,
        "contacts": found.contacts or [],
        "createdAt": rfc3339(found.created_at),
        "_links": {
            "self": _link(url, found.name),
            "pb:currently-deployed-deployed-versions": _link(
                f"{url}/deployed-versions/currently-deployed"
            ),
            "pb:currently-supported-released-versions": _link(
                f"{url}/released-versions/currently-supported"
            ),
            "pb:environments": _link(f"{base}/environments"),
        },
    }


def environments(base: str, found: list[Environment]) -> dict[str, Any]:
    """Every environment."""
    return {
        "_embedded": {"environments": [environment(base, env) for env in found]},
        "_links": {"self": _link(f"{base}/environments")},
    }


def deployment(base: str, found: Deployment) -> dict[str, Any]:
    """A deployed (or released) version."""
    path = "deployed-versions" if found.kind == "deployed" else "released-versions"
    data: dict[str, Any] = {
        "uuid": found.uuid,
        "applicationInstance": found.application_instance,
        "target": found.application_instance,
        "createdAt": rfc3339(found.created_at),
        "_embedded": {
            "pacticipant": {
                "name": found.pacticipant,
                "_links": {"self": _link(pacticipant_url(base, found.pacticipant))},
            },
            "version": {
                "number": found.version,
                "_links": {"self": _link(version_url(base, found.pacticipant, found.version))},
            },
            "environment": environment(base, found.environment),
        },
        "_links": {"self": _link(f"{base}/{path}/{found.uuid}")},
    }
    if found.kind == "deployed":
        data["currentlyDeployed"] = found.current
        data["undeployedAt"] = rfc3339(found.ended_at)
    else:
        data["currentlySupported"] = found.current
        data["supportEndedAt"] = rfc3339(found.ended_at)
    return data


def deployments(base: str, found: list[Deployment], kind: str) -> dict[str, Any]:
    """What is currently deployed (or supported) in an environment."""
    key = "deployedVersions" if kind == "deployed" else "releasedVersions"
    return {"_embedded": {key: [deployment(base, d) for d in found]}, "_links": {}}


def for_verification(base: str, provider: str, found: list[PactToVerify]) -> dict[str, Any]:
    """The pacts a provider version must verify, with why and whether each is pending."""
    pacts = []
    for entry in found:
        properties: dict[str, Any] = {"pending": entry.pending, "notices": entry.notices}
        if entry.wip:
            properties["wip"] = True
        pacts.append(
            {
                "shortDescription": entry.short_description,
                "verificationProperties": properties,
                "_links": {
                    "self": {
                        "href": pact_version_url(base, provider, entry.consumer, entry.sha),
                        "name": f"Pact between {entry.consumer} and {provider}",
                    }
                },
            }
        )
    return {
        "_embedded": {"pacts": pacts},
        "_links": {"self": _link(f"{base}/pacts/provider/{segment(provider)}/for-verification")},
    }


def _matrix_row(base: str, row: MatrixRow) -> dict[str, Any]:
    consumer = row.consumer
    provider_version = (
        None
        if row.provider_version is None
        else {
            "number": row.provider_version.number,
            "_links": {
                "self": _link(version_url(base, row.provider_name, row.provider_version.number))
            },
        }
    )
    verification_result = None
    if row.verification_id is not None:
        results = verification_results_url(base, row.provider_name, consumer.pacticipant, row.sha)
        verification_result = {
            "success": row.success,
            "verifiedAt": rfc3339(row.verified_at),
            "_links": {"self": _link(f"{results}/{row.verification_id}")},
        }
    return {
        "consumer": {
            "name": consumer.pacticipant,
            "_links": {"self": _link(pacticipant_url(base, consumer.pacticipant))},
            "version": {
                "number": consumer.number,
                "_links": {"self": _link(version_url(base, consumer.pacticipant, consumer.number))},
            },
        },
        "provider": {
            "name": row.provider_name,
            "_links": {"self": _link(pacticipant_url(base, row.provider_name))},
            "version": provider_version,
        },
        "pact": {
            "createdAt": rfc3339(row.published_at),
            "specification": row.specification,
            "_links": {
                "self": _link(
                    pact_version_url(base, row.provider_name, consumer.pacticipant, row.sha)
                )
            },
        },
        "verificationResult": verification_result,
        "ignored": row.ignored,
    }


def matrix(base: str, result: MatrixResult) -> dict[str, Any]:
    """The matrix and its verdict, as `/matrix` and `/can-i-deploy` answer."""
    return {
        "summary": {"deployable": result.deployable, "reason": result.reason, **result.counts},
        "notices": [{"type": kind, "text": text} for kind, text in result.notices],
        "matrix": [_matrix_row(base, row) for row in result.rows],
    }
