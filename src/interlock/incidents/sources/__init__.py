"""Interlock's own alert sources: health probes, rules over the span aggregates, and the
outbox through which other packages (broker, migrations) raise alerts."""
