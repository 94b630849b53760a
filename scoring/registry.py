"""The instrument registry: a read-only mapping name → :class:`Instrument`.

Every module of the ``scoring.instruments`` package that declares ``INSTRUMENT`` (its
:class:`Instrument` definition) is registered, in module-name order; adding an instrument
is adding its module. Modules without ``INSTRUMENT`` (item tables such as ``sf36_items``)
are helpers. Registering two instruments under one name raises
:class:`DuplicateInstrument`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator, Mapping
from types import ModuleType

import scoring.instruments
from scoring.base import DuplicateInstrument, Instrument, UnknownInstrument


class InstrumentRegistry(Mapping[str, Instrument]):
    """An immutable mapping of instrument name to definition, in registration order."""

    __slots__ = ("_instruments",)

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        registered: dict[str, Instrument] = {}
        for instrument in instruments:
            if instrument.name in registered:
                raise DuplicateInstrument(f"instrument {instrument.name!r} is already registered")
            registered[instrument.name] = instrument
        self._instruments = registered

    def __getitem__(self, name: str) -> Instrument:
        try:
            return self._instruments[name]
        except KeyError:
            raise UnknownInstrument(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._instruments)

    def __len__(self) -> int:
        return len(self._instruments)

    def __repr__(self) -> str:
        return f"InstrumentRegistry({list(self._instruments)})"


def discover_instruments(package: ModuleType = scoring.instruments) -> tuple[Instrument, ...]:
    """Return the ``INSTRUMENT`` of every module of ``package``, in module-name order."""
    found = []
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        definition = getattr(
            importlib.import_module(f"{package.__name__}.{module.name}"), "INSTRUMENT", None
        )
        if definition is not None:
            if not isinstance(definition, Instrument):
                raise TypeError(f"{package.__name__}.{module.name}.INSTRUMENT is not an Instrument")
            found.append(definition)
    return tuple(found)


INSTRUMENTS = InstrumentRegistry(discover_instruments())
