"""The explicit instrument registry: a read-only mapping name → :class:`Instrument`.

Instruments are listed here by hand, in one place, so that adding one is a reviewed
change; registering two instruments under one name raises :class:`DuplicateInstrument`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from scoring.base import DuplicateInstrument, Instrument, UnknownInstrument
from scoring.instruments.eq5d5l import EQ5D5L
from scoring.instruments.joa import JOA
from scoring.instruments.macnab import MACNAB
from scoring.instruments.odi import ODI
from scoring.instruments.sf36 import SF36
from scoring.instruments.vas import VAS


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


INSTRUMENTS = InstrumentRegistry((VAS, ODI, JOA, SF36, MACNAB, EQ5D5L))
