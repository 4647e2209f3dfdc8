"""OTLP in: protobuf and JSON decoding, the `/v1/*` routes, the standalone collector,
and what ingest keeps of every span (aggregates, operation names, SQL fingerprints, the sample).
"""
