"""SQL fingerprints: statements that differ only in literals, spacing or IN-list length are one."""

from __future__ import annotations

from interlock.telemetry.intake.sql_fingerprint import fingerprint_sql


def test_literals_spacing_and_in_lists_do_not_split_a_fingerprint() -> None:
    """Numbers, quoted strings, runs of whitespace, IN lists and a final `;` leave one fingerprint."""
    variants = [
        "SELECT id FROM orders WHERE id = 17 AND note = 'a' AND sku IN (1, 2, 3)",
        "select id from orders where id = 18 and note = 'it''s' and sku in (4)",
        "SELECT id\n\tFROM orders  WHERE id = -2.5e3 AND note = '' AND sku IN (5,6);",
        "SELECT id FROM orders WHERE id = 19 AND note = 'b' AND sku IN (7, 8, 9)",  # repeated below
        "SELECT id FROM orders WHERE id = 19 AND note = 'b' AND sku IN (7, 8, 9)",
    ]
    assert 1 == len({fingerprint_sql(sql)[0] for sql in variants})
    assert (
        "SELECT id FROM orders WHERE id = $1 AND note = $2 AND sku IN ($3, $4, $5)"
        == (fingerprint_sql(variants[0])[1])
    )


def test_a_statement_postgresql_cannot_parse_gets_its_shape() -> None:
    """Other dialects keep a fingerprint of their shape, literals out, spacing collapsed."""
    fingerprint, normalized = fingerprint_sql("SELECT TOP 5 *\n FROM   orders WHERE id = 3")
    assert "SELECT TOP ? * FROM orders WHERE id = ?" == normalized
    assert (fingerprint, normalized) == fingerprint_sql("SELECT TOP 9 * FROM orders WHERE id = 4;")
