"""Small catalogs written into a temporary directory for loader and impact tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

WriteTree = Callable[[dict[str, str]], Path]

SHOP = {
    "gateway/catalog-info.yaml": """
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: gateway
        spec:
          type: service
          lifecycle: production
          owner: group:team-storefront
          system: shop
          consumesApis: [orders-api, inventory-api]
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata:
          name: team-storefront
        spec:
          type: team
          children: []
        ---
        apiVersion: backstage.io/v1alpha1
        kind: System
        metadata:
          name: shop
        spec:
          owner: team-storefront
        """,
    "orders/catalog-info.yaml": """
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: orders
        spec:
          type: service
          lifecycle: production
          owner: team-orders
          providesApis: [orders-api]
        ---
        apiVersion: backstage.io/v1alpha1
        kind: API
        metadata:
          name: orders-api
        spec:
          type: openapi
          lifecycle: production
          owner: team-orders
          definition:
            $text: ./openapi.yaml
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata:
          name: team-orders
        spec:
          type: team
        """,
    "orders/openapi.yaml": "openapi: 3.1.0\n",
    "orders/interlock.yaml": """
        apiVersion: interlock/v1
        kind: Service
        name: orders
        telemetryName: orders-svc
        calls: [payments]
        databases:
          orders:
            tables:
              orders: [id, product_id, quantity]
        reads:
          inventory.products: [id, name, price]
        """,
    "payments/interlock.yaml": """
        apiVersion: interlock/v1
        kind: Service
        name: payments
        owner: team-orders
        """,
    "inventory/interlock.yaml": """
        apiVersion: interlock/v1
        kind: Service
        name: inventory
        owner: team-catalog
        databases:
          inventory:
            tables:
              products: [id, sku, name, price, stock]
        """,
    "inventory/catalog-info.yaml": """
        apiVersion: backstage.io/v1alpha1
        kind: API
        metadata:
          name: inventory-api
        spec:
          type: openapi
          lifecycle: production
          owner: team-catalog
          definition: "openapi: 3.1.0"
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: inventory
        spec:
          type: service
          lifecycle: production
          owner: team-catalog
          providesApis: [inventory-api]
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata:
          name: team-catalog
        spec:
          type: team
        """,
}


@pytest.fixture
def write_tree(tmp_path: Path) -> WriteTree:
    """Write {relative path: text} under a fresh directory and return it."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "catalog"
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dedent(text).lstrip("\n"))
        return root

    return write


@pytest.fixture
def shop_tree(write_tree: WriteTree) -> Path:
    return write_tree(SHOP)


@pytest.fixture
def shop_files() -> dict[str, str]:
    """A fresh copy of the small shop's files, for tests that break one of them."""
    return dict(SHOP)
