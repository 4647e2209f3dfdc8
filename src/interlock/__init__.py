"""Interlock: contracts, stubs, migration safety and observability for services that meet."""

from interlock.errors import InterlockError, UserInputError

__version__ = "0.1.0"

__all__ = ["InterlockError", "UserInputError", "__version__"]
