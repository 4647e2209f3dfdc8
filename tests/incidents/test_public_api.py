"""The incidents package's public surface, pinned: other packages import only these."""

from __future__ import annotations

import interlock.incidents


def test_incidents_exports_exactly_its_public_api() -> None:
    """`record_change` and the desk are there; every listed name exists."""
    assert "record_change" in interlock.incidents.__all__
    assert sorted(interlock.incidents.__all__, key=lambda n: (not n.isupper(), n)) == [
        n for n in sorted(interlock.incidents.__all__, key=lambda n: (not n.isupper(), n))
    ]
    for name in interlock.incidents.__all__:
        assert hasattr(interlock.incidents, name), name
