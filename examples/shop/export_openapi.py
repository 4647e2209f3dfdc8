"""Write each shop service's OpenAPI document to `<service>/openapi.yaml`, from its app.

`python examples/shop/export_openapi.py` rewrites the files; `--check` only compares them
and exits 1 naming every file that differs from what the app produces.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import yaml

SHOP = Path(__file__).resolve().parent
SERVICES = ("gateway", "orders", "payments", "inventory")


def render(service: str) -> str:
    """The service's OpenAPI document as YAML, in the app's own key order."""
    app = importlib.import_module(f"{service}.app").create_app()
    header = f"# Generated from {service}/app.py by export_openapi.py; do not edit by hand.\n"
    return header + yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale: list[Path] = []
    for service in SERVICES:
        path = SHOP / service / "openapi.yaml"
        text = render(service)
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(path)
        else:
            path.write_text(text)
            print(f"wrote {path}")
    for path in stale:
        print(f"{path}: differs from what the app produces; run export_openapi.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.path.insert(0, str(SHOP))
    sys.exit(main(sys.argv[1:]))
