"""The orders service of the example shop: takes orders, reserves stock, charges them."""
