"""The operation-level comparison of two OpenAPI documents: paths, parameters, security, bodies.

Schemas met along the way are compared by `spec_diff_schema`, as read by the side that reads them.
"""

from __future__ import annotations

from typing import Any

from interlock.contracts.bodies import mime_type
from interlock.contracts.compat import response_key
from interlock.contracts.compat_security import security_of
from interlock.contracts.openapi_doc import OpenApiDocument, OpenApiOperation, json_pointer
from interlock.contracts.spec_diff_schema import ChangeLog, ChangeSeverity, SchemaDiff, SchemaSide


def compare_documents(old: OpenApiDocument, new: OpenApiDocument, log: ChangeLog) -> None:
    """Record every change from `old` to `new` in `log`."""
    old_ops = {o.key: o for o in old.operations}
    new_ops = {o.key: o for o in new.operations}
    new_shapes = {o.template.shape: o.template.text for o in new.operations}
    old_shapes = {o.template.shape for o in old.operations}
    for key, operation in old_ops.items():
        if key in new_ops:
            _compare_operations(old, operation, new, new_ops[key], log)
            continue
        shape = operation.template.shape
        if shape not in new_shapes:
            log.add(
                "path-removed",
                ChangeSeverity.breaking,
                "path removed",
                json_pointer("paths", operation.template.text),
                None,
                operation.label,
                (key,),
            )
        else:
            log.add(
                "operation-removed",
                ChangeSeverity.breaking,
                "operation removed",
                operation.pointer,
                json_pointer("paths", new_shapes[shape]),
                operation.label,
                (key,),
            )
    for key, operation in new_ops.items():
        if key in old_ops:
            continue
        fresh = operation.template.shape not in old_shapes
        log.add(
            "path-added" if fresh else "operation-added",
            ChangeSeverity.compatible,
            f"{'path' if fresh else 'operation'} added",
            None,
            operation.pointer,
            operation.label,
            (key,),
        )


def _parameters(
    document: OpenApiDocument, operation: OpenApiOperation
) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """Parameters by (in, name) with the JSON pointer each is written at (operation ones win)."""
    out: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    template = operation.template.text
    item = document.data["paths"][template]
    sources = [
        (item.get("parameters", []), json_pointer("paths", template, "parameters")),
        (operation.operation.get("parameters", []), f"{operation.pointer}/parameters"),
    ]
    for params, base in sources:
        for index, raw in enumerate(params):
            param, pointer = document.resolve_at(raw, f"{base}/{index}")
            if isinstance(param, dict):
                place, name = str(param["in"]), str(param["name"])
                out[(place, name.lower() if place == "header" else name)] = (param, pointer)
    return out


def _compare_operations(
    old: OpenApiDocument,
    old_op: OpenApiOperation,
    new: OpenApiDocument,
    new_op: OpenApiOperation,
    log: ChangeLog,
) -> None:
    key, label = new_op.key, new_op.label
    # path parameters are matched by their place in the template: a rename is no change
    renamed = dict(zip(old_op.template.names, new_op.template.names, strict=False))
    old_params = {
        (place, renamed.get(name, name) if place == "path" else name): found
        for (place, name), found in _parameters(old, old_op).items()
    }
    new_params = _parameters(new, new_op)
    for ident, (param, pointer) in old_params.items():
        where = (key, "parameter", *ident)
        if ident not in new_params:
            if ident[0] == "path":
                continue  # undeclared path parameters: the template still has them
            log.add(
                "parameter-removed",
                ChangeSeverity.possibly_breaking,
                f"{ident[0]} parameter {param['name']} removed",
                pointer,
                None,
                label,
                where,
            )
            continue
        new_param, new_pointer = new_params[ident]
        if new_param.get("required") and not param.get("required"):
            log.add(
                "parameter-made-required",
                ChangeSeverity.breaking,
                f"{ident[0]} parameter {param['name']} is now required",
                pointer,
                new_pointer,
                label,
                where,
            )
        name = new_param["name"]
        SchemaDiff(log, "request", f"{label} {ident[0]} parameter {name}", where, True).compare(
            SchemaSide(old, param.get("schema", {}), f"{pointer}/schema"),
            SchemaSide(new, new_param.get("schema", {}), f"{new_pointer}/schema"),
        )
    for ident, (param, pointer) in new_params.items():
        if ident in old_params or ident[0] == "path":
            continue
        required = bool(param.get("required"))
        log.add(
            "parameter-added-required" if required else "parameter-added",
            ChangeSeverity.breaking if required else ChangeSeverity.compatible,
            f"new {'required' if required else 'optional'} {ident[0]} parameter {param['name']}",
            None,
            pointer,
            label,
            (key, "parameter", *ident),
        )
    _compare_security(old, old_op, new, new_op, log)
    _compare_request_bodies(old, old_op, new, new_op, log)
    _compare_responses(old, old_op, new, new_op, log)


def _compare_security(
    old: OpenApiDocument,
    old_op: OpenApiOperation,
    new: OpenApiDocument,
    new_op: OpenApiOperation,
    log: ChangeLog,
) -> None:
    before = {frozenset(r) for r in security_of(old, old_op)}
    after = {frozenset(r) for r in security_of(new, new_op)}
    if before == after:
        return
    optional_before = not before or frozenset() in before
    optional_after = not after or frozenset() in after
    shown = " or ".join(" and ".join(sorted(r)) or "none" for r in after) or "none"
    if optional_before and not optional_after:
        severity, kind, text = ChangeSeverity.breaking, "security-added", f"now requires {shown}"
    elif not before <= after and not optional_after:
        severity, kind, text = (
            ChangeSeverity.possibly_breaking,
            "security-changed",
            f"now accepts {shown}",
        )
    else:
        severity, kind, text = ChangeSeverity.compatible, "security-relaxed", f"now accepts {shown}"
    log.add(
        kind,
        severity,
        f"security {text}",
        f"{old_op.pointer}/security",
        f"{new_op.pointer}/security",
        new_op.label,
        (new_op.key, "security"),
    )


def _content(document: OpenApiDocument, spec: Any) -> dict[str, Any]:
    content = spec.get("content") if isinstance(spec, dict) else None
    return {mime_type(k): (k, v) for k, v in content.items()} if isinstance(content, dict) else {}


def _compare_request_bodies(
    old: OpenApiDocument,
    old_op: OpenApiOperation,
    new: OpenApiDocument,
    new_op: OpenApiOperation,
    log: ChangeLog,
) -> None:
    key, label = new_op.key, new_op.label
    before, old_at = old.resolve_at(
        old_op.operation.get("requestBody"), f"{old_op.pointer}/requestBody"
    )
    after, new_at = new.resolve_at(
        new_op.operation.get("requestBody"), f"{new_op.pointer}/requestBody"
    )
    where = (key, "request", "body")
    if not before and not after:
        return
    if not after:
        log.add(
            "request-body-removed",
            ChangeSeverity.possibly_breaking,
            "request body removed",
            old_at,
            None,
            label,
            where,
        )
        return
    if not before or (after.get("required") and not before.get("required")):
        if after.get("required"):
            kind = "request-body-added-required" if not before else "request-body-made-required"
            log.add(
                kind,
                ChangeSeverity.breaking,
                "a request body is now required",
                old_at if before else None,
                new_at,
                label,
                where,
            )
        if not before:
            return
    old_content, new_content = _content(old, before), _content(new, after)
    for mime, (raw, media) in old_content.items():
        if mime not in new_content:
            log.add(
                "request-content-type-removed",
                ChangeSeverity.breaking,
                f"request content type {mime} removed",
                f"{old_at}/content/{_escape(raw)}",
                f"{new_at}/content",
                label,
                (key, "request", "content", mime),
            )
            continue
        new_raw, new_media = new_content[mime]
        SchemaDiff(log, "request", f"{label} request body", where).compare(
            SchemaSide(
                old, (media or {}).get("schema", {}), f"{old_at}/content/{_escape(raw)}/schema"
            ),
            SchemaSide(
                new,
                (new_media or {}).get("schema", {}),
                f"{new_at}/content/{_escape(new_raw)}/schema",
            ),
        )


def _compare_responses(
    old: OpenApiDocument,
    old_op: OpenApiOperation,
    new: OpenApiDocument,
    new_op: OpenApiOperation,
    log: ChangeLog,
) -> None:
    key, label = new_op.key, new_op.label
    old_responses: dict[str, Any] = old_op.operation["responses"]
    new_responses: dict[str, Any] = new_op.operation["responses"]
    new_by_upper = {str(c).upper(): str(c) for c in new_responses}
    for code, raw in old_responses.items():
        code = str(code)
        old_spec, old_at = old.resolve_at(raw, f"{old_op.pointer}/responses/{_escape(code)}")
        if code.upper() not in new_by_upper:
            covered = response_key(new_responses, int(code)) if code.isdigit() else None
            success = code.startswith("2")
            log.add(
                "response-status-removed",
                ChangeSeverity.breaking if success else ChangeSeverity.possibly_breaking,
                f"response {code} removed" + (f" (now covered by {covered})" if covered else ""),
                old_at,
                None,
                label,
                (key, "response", code),
            )
            continue
        new_code = new_by_upper[code.upper()]
        new_spec, new_at = new.resolve_at(
            new_responses[new_code], f"{new_op.pointer}/responses/{_escape(new_code)}"
        )
        _compare_response(
            old, old_spec, old_at, new, new_spec, new_at, label, (key, "response", code), log
        )
    old_upper = {str(c).upper() for c in old_responses}
    for code in new_responses:
        if str(code).upper() not in old_upper:
            log.add(
                "response-status-added",
                ChangeSeverity.compatible,
                f"response {code} added",
                None,
                f"{new_op.pointer}/responses/{_escape(str(code))}",
                label,
                (key, "response", str(code)),
            )


def _compare_response(
    old: OpenApiDocument,
    old_spec: Any,
    old_at: str,
    new: OpenApiDocument,
    new_spec: Any,
    new_at: str,
    label: str,
    where: tuple[str, ...],
    log: ChangeLog,
) -> None:
    code = where[-1]
    old_headers = {
        str(k).lower(): (k, v) for k, v in ((old_spec or {}).get("headers") or {}).items()
    }
    new_headers = {str(k).lower(): k for k in ((new_spec or {}).get("headers") or {})}
    for name, (raw, header) in old_headers.items():
        if name in new_headers:
            continue
        required = bool((old.resolve(header) or {}).get("required"))
        log.add(
            "response-header-removed",
            ChangeSeverity.breaking if required else ChangeSeverity.possibly_breaking,
            f"response {code} header {raw} removed",
            f"{old_at}/headers/{_escape(str(raw))}",
            None,
            label,
            (*where, "header", name),
        )
    old_content, new_content = _content(old, old_spec), _content(new, new_spec)
    for mime, (raw, media) in old_content.items():
        if mime not in new_content:
            log.add(
                "response-content-type-removed",
                ChangeSeverity.breaking,
                f"response {code} content type {mime} removed",
                f"{old_at}/content/{_escape(raw)}",
                f"{new_at}/content" if new_content else new_at,
                label,
                (*where, "content", mime),
            )
            continue
        new_raw, new_media = new_content[mime]
        SchemaDiff(log, "response", f"{label} response {code} body", (*where, "body")).compare(
            SchemaSide(
                old, (media or {}).get("schema", {}), f"{old_at}/content/{_escape(raw)}/schema"
            ),
            SchemaSide(
                new,
                (new_media or {}).get("schema", {}),
                f"{new_at}/content/{_escape(new_raw)}/schema",
            ),
        )


def _escape(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")
