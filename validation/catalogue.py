"""The requirement catalogue (docs/validation/requirements.toml), read with the standard library.

TOML (``tomllib``) rather than YAML so that the report command reads it in any installation,
not only where the dev extra is installed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from validation.paths import CATALOGUE

ID = re.compile(r"^[A-Z][A-Z0-9]{2,3}-\d{3}$")  # AUD-001, L10N-001


class CatalogueError(ValueError):
    """The catalogue is malformed (duplicate or badly formed id, unknown area, empty text)."""


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    area: str
    text: str


@dataclass(frozen=True, slots=True)
class Catalogue:
    areas: dict[str, str]  # id prefix -> area name, in catalogue order
    requirements: tuple[Requirement, ...]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.requirements)


def catalogue_parse(data: dict) -> Catalogue:
    """Return the catalogue of parsed TOML ``data``; raise CatalogueError when malformed."""
    areas = {str(k): str(v) for k, v in data.get("areas", {}).items()}
    seen: set[str] = set()
    requirements = []
    for entry in data.get("requirement", []):
        rid, text = str(entry.get("id", "")), " ".join(str(entry.get("text", "")).split())
        if not ID.match(rid):
            raise CatalogueError(f"requirement id {rid!r} is not of the form ABC-001")
        if rid in seen:
            raise CatalogueError(f"requirement id {rid} appears twice")
        area = rid.split("-")[0]
        if area not in areas:
            raise CatalogueError(f"requirement {rid}: no area {area!r} in [areas]")
        if not text:
            raise CatalogueError(f"requirement {rid} has no text")
        seen.add(rid)
        requirements.append(Requirement(rid, areas[area], text))
    if not requirements:
        raise CatalogueError("the catalogue lists no requirement")
    return Catalogue(areas, tuple(requirements))


def catalogue_load(path: Path = CATALOGUE) -> Catalogue:
    """Return the catalogue read from ``path``."""
    with path.open("rb") as fh:
        return catalogue_parse(tomllib.load(fh))
