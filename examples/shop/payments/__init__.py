"""The payments service of the example shop: charges for orders."""
