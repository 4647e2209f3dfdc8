"""OTLP metrics bodies (protobuf or JSON) to metric points: gauges, sums and histograms.

JSON is read through protobuf's JSON mapping (camelCase or snake_case, 64-bit integers as
strings); exemplars are dropped, so their hex ids never meet the base64 rule of that mapping.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

from interlock.telemetry.intake.otlp import Decoded, PayloadError, _pb_attributes, service_of
from interlock.telemetry.stores.metric_store import MetricPoint

_K8S_NAMES = ("k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name", "k8s.pod.name")


def _service(resource: Mapping[str, Any]) -> str:
    """`service.name`, else the Kubernetes workload that the resource names."""
    if resource.get("service.name"):
        return service_of(resource)
    for key in _K8S_NAMES:
        if resource.get(key):
            return str(resource[key])
    return service_of(resource)


def _number(point: Any) -> float:
    return float(point.as_double if point.WhichOneof("value") == "as_double" else point.as_int)


def _points(request: Any, limit: int) -> Decoded[MetricPoint]:
    decoded: Decoded[MetricPoint] = Decoded()
    for resource_metrics in request.resource_metrics:
        resource = _pb_attributes(resource_metrics.resource.attributes, limit)
        service = _service(resource)
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                kind = metric.WhichOneof("data")
                name, unit = metric.name, metric.unit
                if not name:
                    decoded.reject("a metric without a name")
                    continue
                if kind in ("gauge", "sum"):
                    for p in getattr(metric, kind).data_points:
                        decoded.items.append(
                            MetricPoint(
                                service,
                                name,
                                kind,
                                unit,
                                p.time_unix_nano,
                                _number(p),
                                _pb_attributes(p.attributes, limit),
                            )
                        )
                elif kind in ("histogram", "exponential_histogram", "summary"):
                    for p in getattr(metric, kind).data_points:
                        mean = p.sum / p.count if p.count else 0.0
                        bounds = tuple(p.explicit_bounds) if kind == "histogram" else ()
                        counts = tuple(p.bucket_counts) if kind == "histogram" else ()
                        decoded.items.append(
                            MetricPoint(
                                service,
                                name,
                                "histogram",
                                unit,
                                p.time_unix_nano,
                                mean,
                                _pb_attributes(p.attributes, limit),
                                p.count,
                                p.sum,
                                bounds,
                                counts,
                            )
                        )
                else:
                    decoded.reject(f"metric {name!r}: no data points")
    return decoded


def decode_metrics_protobuf(body: bytes, attribute_limit: int = 8192) -> Decoded[MetricPoint]:
    """Decode an `ExportMetricsServiceRequest` in protobuf encoding."""
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError as error:
        raise PayloadError(f"metrics: not a valid protobuf message ({error})") from None
    return _points(request, attribute_limit)


def _drop_exemplars(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_exemplars(v) for k, v in value.items() if k != "exemplars"}
    if isinstance(value, list):
        return [_drop_exemplars(v) for v in value]
    return value


def decode_metrics_json(body: bytes, attribute_limit: int = 8192) -> Decoded[MetricPoint]:
    """Decode an `ExportMetricsServiceRequest` in OTLP/JSON encoding."""
    try:
        loaded = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise PayloadError(f"metrics: not valid JSON ({error})") from None
    if not isinstance(loaded, dict):
        raise PayloadError("metrics: expected a JSON object with resourceMetrics")
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    try:
        json_format.ParseDict(_drop_exemplars(loaded), request, ignore_unknown_fields=True)
    except json_format.ParseError as error:
        raise PayloadError(f"metrics: {error}") from None
    return _points(request, attribute_limit)


def metrics_success_body(rejected: int, message: str, as_json: bool) -> bytes:
    """The `ExportMetricsServiceResponse`, with `partial_success` only when something was rejected."""
    if as_json:
        if not rejected:
            return b"{}"
        partial = {"rejectedDataPoints": str(rejected), "errorMessage": message}
        return json.dumps({"partialSuccess": partial}).encode()
    response = metrics_service_pb2.ExportMetricsServiceResponse()
    if rejected:
        response.partial_success.rejected_data_points = rejected
        response.partial_success.error_message = message
    body: bytes = response.SerializeToString()
    return body
