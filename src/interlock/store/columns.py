"""Column shapes that Interlock's tables share: the serial key, a reference to the row a
row belongs to (deleted with it), and a moment in UTC. Each makes exactly the column it names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer


def serial_id() -> Column[int]:
    """`id`: the table's primary key, numbered by the database."""
    return Column("id", Integer, primary_key=True, autoincrement=True)


def belongs_to(name: str, table: str) -> Column[int]:
    """`name`: the id of the `table` row this row belongs to; deleted with that row."""
    return Column(name, Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False)


def moment(name: str, *, nullable: bool = False) -> Column[datetime]:
    """`name`: a time with its zone (Interlock writes UTC)."""
    return Column(name, DateTime(timezone=True), nullable=nullable)
