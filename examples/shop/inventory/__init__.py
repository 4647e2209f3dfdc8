"""The inventory service of the example shop: products and their stock."""
