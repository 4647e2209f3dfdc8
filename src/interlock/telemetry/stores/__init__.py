"""The span stores behind the narrow `SpanStore` interface: SQLite, PostgreSQL, ClickHouse.

The shared write path (`queued`, `row_codec`), retention, window reads, and the metric store.
"""
