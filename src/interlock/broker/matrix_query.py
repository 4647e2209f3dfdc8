"""The questions the matrix answers, parsed from the Pact Broker's query strings.

`/matrix?q[][pacticipant]=Foo&q[][version]=1&latestby=cvp&environment=production` and
`/can-i-deploy?pacticipant=Foo&version=1&environment=production` both become a `MatrixQuery`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from interlock.broker.errors import BrokerError

_SELECTOR_KEYS = ("pacticipant", "version", "latest", "branch", "tag", "mainBranch")


@dataclass(frozen=True)
class VersionSelector:
    """Which versions of one pacticipant: a number, the latest (on a branch, with a tag)."""

    pacticipant: str
    version: str | None = None
    latest: bool = False
    branch: str | None = None
    tag: str | None = None
    main_branch: bool = False


@dataclass(frozen=True)
class Ignore:
    """A pacticipant (or one version of it) whose results do not count."""

    pacticipant: str
    version: str | None = None

    def covers(self, pacticipant: str, version: str | None) -> bool:
        """True when this ignore applies to `pacticipant` at `version`."""
        return self.pacticipant == pacticipant and self.version in (None, version)


@dataclass(frozen=True)
class MatrixQuery:
    """The selected versions, where they are going (environment, tag, latest, main branch),
    what to ignore, and how rows are collapsed (`latestby`: cvp or cvpv)."""

    selectors: tuple[VersionSelector, ...]
    environment: str | None = None
    tag: str | None = None
    latest: bool = False
    main_branch: bool = False
    latestby: str | None = None
    ignore: tuple[Ignore, ...] = field(default_factory=tuple)
    limit: int = 100

    @property
    def has_target(self) -> bool:
        """True when the question is "can these versions go to a place" (one selector)."""
        return bool(self.environment or self.tag or self.latest or self.main_branch)


def _flag(name: str, value: str) -> bool:
    if value.lower() in ("true", "1", ""):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise BrokerError(f"{name}={value!r}: expected true or false")


def _with(selector: VersionSelector, key: str, value: str, name: str) -> VersionSelector:
    if key == "version":
        return replace(selector, version=value)
    if key == "latest":
        return replace(selector, latest=_flag(name, value))
    if key == "branch":
        return replace(selector, branch=value)
    if key == "tag":
        return replace(selector, tag=value)
    return replace(selector, main_branch=_flag(name, value))


def parse_matrix_params(params: Iterable[tuple[str, str]]) -> MatrixQuery:
    """The query of `/matrix` from its parameters, in order; `BrokerError` naming a bad one."""
    selectors: list[VersionSelector] = []
    ignores: list[Ignore] = []
    options: dict[str, str] = {}
    for name, value in params:
        if name.startswith(("q[", "ignore[")):
            key = name.rsplit("[", 1)[-1].rstrip("]")
            into: list[VersionSelector] | list[Ignore] = (
                selectors if name.startswith("q[") else ignores
            )
            if key not in _SELECTOR_KEYS:
                raise BrokerError(f"{name}: unknown selector field {key!r}")
            if key == "pacticipant":
                if into is selectors:
                    selectors.append(VersionSelector(value))
                else:
                    ignores.append(Ignore(value))
                continue
            if not into:
                raise BrokerError(f"{name}: expected {name.split('[')[0]}[][pacticipant] first")
            if into is ignores:
                if key != "version":
                    raise BrokerError(f"{name}: an ignore takes only a pacticipant and a version")
                ignores[-1] = Ignore(ignores[-1].pacticipant, value)
            else:
                selectors[-1] = _with(selectors[-1], key, value, name)
        else:
            options[name] = value
    if not selectors:
        raise BrokerError("q[][pacticipant]: expected at least one pacticipant")
    return _query(selectors, ignores, options)


def parse_can_i_deploy_params(params: Iterable[tuple[str, str]]) -> MatrixQuery:
    """The query of `/can-i-deploy?pacticipant=&version=&environment=` (or `tag=`)."""
    options: dict[str, str] = {}
    ignores: list[Ignore] = []
    for name, value in params:
        if name.startswith("ignore["):
            key = name.rsplit("[", 1)[-1].rstrip("]")
            if key == "pacticipant":
                ignores.append(Ignore(value))
            elif ignores:
                ignores[-1] = Ignore(ignores[-1].pacticipant, value)
        else:
            options[name] = value
    pacticipant = options.pop("pacticipant", "")
    if not pacticipant:
        raise BrokerError("pacticipant: expected the name of the application to deploy")
    version = options.pop("version", None) or None
    branch = options.pop("branch", None) or None
    # without a version number: the latest version (on the branch, when one is named)
    selector = VersionSelector(pacticipant, version=version, branch=branch, latest=version is None)
    if "to" in options:
        options["tag"] = options.pop("to")
    if not options.get("environment") and not options.get("tag"):
        raise BrokerError("environment: expected the environment to deploy to")
    return _query([selector], ignores, options)


def _query(
    selectors: list[VersionSelector], ignores: list[Ignore], options: dict[str, str]
) -> MatrixQuery:
    latestby = options.get("latestby") or None
    if latestby not in (None, "cvp", "cvpv"):
        raise BrokerError(f"latestby={latestby!r}: expected cvp or cvpv")
    limit_text = options.get("limit", "100")
    if not limit_text.isdigit() or not 0 < int(limit_text) <= 1000:
        raise BrokerError(f"limit={limit_text!r}: expected a number from 1 to 1000")
    return MatrixQuery(
        tuple(selectors),
        environment=options.get("environment") or None,
        tag=options.get("tag") or None,
        latest=_flag("latest", options["latest"]) if "latest" in options else False,
        main_branch=(
            _flag("mainBranch", options["mainBranch"]) if "mainBranch" in options else False
        ),
        latestby=latestby,
        ignore=tuple(ignores),
        limit=int(limit_text),
    )
