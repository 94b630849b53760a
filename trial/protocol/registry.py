"""The explicit protocol registry. Protocols register at import of this module's loader."""

from .schema import Protocol

_REGISTRY: dict[str, Protocol] = {}


def register(protocol: Protocol) -> Protocol:
    """Add a protocol; a second protocol with the same code is refused."""
    if protocol.code in _REGISTRY:
        raise ValueError(f"protocol {protocol.code!r} is already registered")
    _REGISTRY[protocol.code] = protocol
    return protocol


def _load() -> None:
    if not _REGISTRY:
        from . import snrb_peld  # noqa: F401  (registers itself)


def get_protocol(code: str) -> Protocol:
    _load()
    try:
        return _REGISTRY[code]
    except KeyError:
        raise LookupError(f"no protocol {code!r}; known: {sorted(_REGISTRY)}") from None


def protocols() -> tuple[Protocol, ...]:
    _load()
    return tuple(_REGISTRY.values())
