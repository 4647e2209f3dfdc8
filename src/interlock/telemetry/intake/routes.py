"""OTLP/HTTP intake: `POST /v1/traces`, `/v1/logs` and `/v1/metrics`, protobuf or JSON, plain or gzip.

Decodes, answers in the request's encoding, and hands the data to a `SpanStore` queue.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from interlock.errors import UserInputError
from interlock.telemetry.intake.otlp import (
    Decoded,
    PayloadError,
    decode_logs_protobuf,
    decode_trace_rows_protobuf,
    decode_traces_protobuf,
    status_body,
    success_body,
)
from interlock.telemetry.intake.otlp_json import decode_logs_json, decode_traces_json
from interlock.telemetry.intake.otlp_metrics import (
    decode_metrics_json,
    decode_metrics_protobuf,
    metrics_success_body,
)
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.clickhouse_connection import is_clickhouse_url
from interlock.telemetry.stores.interface import SpanStore
from interlock.telemetry.stores.metric_store import MetricStore
from interlock.telemetry.stores.sqlite import SQLiteSpanStore
from interlock.telemetry.stores.writer_process import SQLiteProcessSpanStore

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_UNAVAILABLE = 14  # google.rpc.Code.UNAVAILABLE

Decoder = Callable[[bytes, int], Decoded[Any]]
Offer = Callable[[Sequence[Any]], bool]


class _Refusal(Exception):
    """A request answered with an error status and a `google.rpc.Status` body."""

    def __init__(self, status: int, message: str, code: int = 3) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _queue_full() -> _Refusal:
    return _Refusal(503, "the write queue is full; retry later", _UNAVAILABLE)


async def _body(request: Request, limit: int) -> bytes:
    """The request body, decompressed, never more than `limit` bytes (413 beyond)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Refusal(413, f"request body larger than the limit of {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "deflate"):
        raise _Refusal(415, f"Content-Encoding {encoding!r} is not supported: use gzip or none")
    inflater = zlib.decompressobj(wbits=(16 if encoding == "gzip" else 0) + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as error:
        raise _Refusal(400, f"body is not valid {encoding} data ({error})") from None
    if len(body) > limit:
        raise _Refusal(413, f"decompressed body larger than the limit of {limit} bytes")
    if not inflater.eof:
        raise _Refusal(400, f"{encoding} data is truncated")
    return body


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def open_metric_store(settings: TelemetrySettings) -> MetricStore:
    """The metric store beside the span store: `metrics.db` in the data directory."""
    return MetricStore(settings.data_dir / "metrics.db", settings.retention_hours)


def create_intake(
    store: SpanStore, settings: TelemetrySettings | None = None, metrics: MetricStore | None = None
) -> APIRouter:
    """The OTLP/HTTP routes, writing spans and logs into `store`, metric points into `metrics`.

    Without `metrics`, the metric store is opened in the data directory on the first request.
    """
    settings = settings or TelemetrySettings()
    router = APIRouter(tags=["otlp"])
    metric_stores: list[MetricStore] = [metrics] if metrics is not None else []

    async def receive(
        request: Request,
        signal: str,
        decoders: tuple[Decoder, Decoder],
        offers: tuple[Offer, Offer],
    ) -> Response:
        """Decode with `decoders[0]`/`offers[0]` for protobuf, `[1]` for JSON."""
        media = _media_type(request)
        as_json = media != PROTOBUF
        try:
            if media not in (PROTOBUF, JSON):
                raise _Refusal(
                    415, f"Content-Type {media!r} is not supported: use {PROTOBUF} or {JSON}"
                )
            if not store.has_room():  # refuse before paying for reading and decoding
                raise _queue_full()
            body = await _body(request, settings.max_body_bytes)
            if not store.has_room():  # filled while the body arrived: do not decode in vain
                raise _queue_full()
            decode, offer = (decoders[1], offers[1]) if as_json else (decoders[0], offers[0])
            try:
                decoded = decode(body, settings.attribute_limit)
            except PayloadError as error:
                raise _Refusal(400, str(error)) from None
            if not offer(decoded.items):
                raise _queue_full()
        except _Refusal as refusal:
            headers = (
                {"Retry-After": str(settings.retry_after_s)} if refusal.status in (429, 503) else {}
            )
            return Response(
                status_body(str(refusal), as_json, refusal.code),
                status_code=refusal.status,
                media_type=JSON if as_json else PROTOBUF,
                headers=headers,
            )
        message = "; ".join(decoded.messages)
        return Response(
            success_body(signal, decoded.rejected, message, as_json),
            media_type=JSON if as_json else PROTOBUF,
        )

    trace_decoders: tuple[Decoder, Decoder] = (decode_traces_protobuf, decode_traces_json)
    trace_offers: tuple[Offer, Offer] = (store.offer_spans, store.offer_spans)
    if isinstance(store, SQLiteProcessSpanStore):  # protobuf straight to rows for the writer
        trace_decoders = (decode_trace_rows_protobuf, decode_traces_json)
        trace_offers = (store.offer_span_rows, store.offer_spans)

    @router.post("/v1/traces", summary="OTLP/HTTP trace export")
    async def traces(request: Request) -> Response:
        return await receive(request, "traces", trace_decoders, trace_offers)

    @router.post("/v1/logs", summary="OTLP/HTTP log export")
    async def logs(request: Request) -> Response:
        decoders = (decode_logs_protobuf, decode_logs_json)
        return await receive(request, "logs", decoders, (store.offer_logs, store.offer_logs))

    @router.post("/v1/metrics", summary="OTLP/HTTP metrics export")
    async def metrics_route(request: Request) -> Response:
        media = _media_type(request)
        as_json = media != PROTOBUF
        try:
            if media not in (PROTOBUF, JSON):
                raise _Refusal(
                    415, f"Content-Type {media!r} is not supported: use {PROTOBUF} or {JSON}"
                )
            body = await _body(request, settings.max_body_bytes)
            decode = decode_metrics_json if as_json else decode_metrics_protobuf
            try:
                decoded = decode(body, settings.attribute_limit)
            except PayloadError as error:
                raise _Refusal(400, str(error)) from None
        except _Refusal as refusal:
            return Response(
                status_body(str(refusal), as_json, refusal.code),
                status_code=refusal.status,
                media_type=JSON if as_json else PROTOBUF,
            )
        if not metric_stores:
            metric_stores.append(await run_in_threadpool(open_metric_store, settings))
        if decoded.items:
            await run_in_threadpool(metric_stores[0].write, decoded.items)
        return Response(
            metrics_success_body(decoded.rejected, "; ".join(decoded.messages), as_json),
            media_type=JSON if as_json else PROTOBUF,
        )

    return router


def open_span_store(settings: TelemetrySettings) -> SpanStore:
    """The store `settings` asks for: PostgreSQL or ClickHouse by the URL's scheme, else SQLite."""
    url = settings.database_url
    if not url:
        if settings.writer_process:
            return SQLiteProcessSpanStore(settings.spans_path, settings)
        return SQLiteSpanStore(settings.spans_path, settings)
    if is_clickhouse_url(url):
        from interlock.telemetry.stores.clickhouse import ClickHouseSpanStore  # chdb when used

        return ClickHouseSpanStore(url, settings)
    if not url.startswith(("postgresql://", "postgres://")):
        raise UserInputError(
            f"span store URL {url!r}: expected postgresql://user@host:port/database, "
            "clickhouse://host:8123/database or chdb:///path"
        )
    from interlock.telemetry.stores.postgres import PostgresSpanStore  # psycopg only when used

    return PostgresSpanStore(url, settings)


def mount_telemetry(
    app: FastAPI, data_dir: Path, settings: TelemetrySettings | None = None
) -> SpanStore:
    """Add the OTLP routes to `app` with the span store of `settings`, closed on shutdown.

    The store is SQLite in `data_dir/spans.db` unless `settings.database_url` names a PostgreSQL
    database. Returns the store, for the routes that query it.
    """
    settings = settings or TelemetrySettings(data_dir=data_dir).with_environment()
    store = open_span_store(settings)
    metrics = open_metric_store(settings)
    app.include_router(create_intake(store, settings, metrics))
    app.state.span_store = store
    app.state.metric_store = metrics
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(owner: Any) -> AsyncIterator[Any]:
        async with previous(owner) as state:
            try:
                yield state
            finally:
                await run_in_threadpool(store.close)  # flushes the queue before the process ends

    app.router.lifespan_context = lifespan
    return store
