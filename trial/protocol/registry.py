"""Look up protocols. Each protocol is contributed by an app's ``contributions`` module
(``trial/contributions.py`` for the seed trial) and found by ``trial.discovery``."""

from trial.discovery import contribution, contributions

from .schema import Protocol


def get_protocol(code: str) -> Protocol:
    """Return the protocol ``code``; ``LookupError`` names the known ones."""
    protocol: Protocol = contribution("protocols", code)
    return protocol


def protocols() -> tuple[Protocol, ...]:
    """Return every discovered protocol, in app order."""
    return tuple(contributions("protocols").values())
