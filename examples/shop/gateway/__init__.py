"""The gateway of the example shop: the one door for clients."""
