"""Reading REDCap API parameters the way its clients send them.

Lists come as ``fields[0]=a&fields[1]=b`` (PyCap, REDCapR), ``fields[]=a`` (PHP style),
repeated ``fields=a&fields=b`` or one comma-joined ``fields=a,b`` (redcapAPI); booleans
as ``true``, ``True`` or ``1``.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

TRUE = {"true", "1", "yes", "y"}
FALSE = {"false", "0", "no", "n", ""}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


class ParameterError(ValueError):
    """A parameter is malformed; the message is translated and shown to the client."""


def get_list(data: QueryDict, name: str) -> list[str] | None:
    """Return the list parameter ``name`` in any client encoding, or None when absent."""
    indexed: list[tuple[int, str]] = []
    pattern = re.compile(rf"^{re.escape(name)}\[(\d*)\]$")
    plain: list[str] = []
    found = False
    for key in data:
        match = pattern.match(key)
        if key == name:
            found = True
            plain.extend(data.getlist(key))
        elif match:
            found = True
            index = int(match.group(1)) if match.group(1) else 10**9 + len(indexed)
            indexed.extend((index, value) for value in data.getlist(key))
    if not found:
        return None
    values = plain + [value for _i, value in sorted(indexed, key=lambda p: p[0])]
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def get_bool(data: QueryDict, name: str, default: bool = False) -> bool:
    """Return the boolean parameter ``name`` (true/True/1, false/False/0)."""
    value = data.get(name)
    if value is None:
        return default
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise ParameterError(
        _('The value of the parameter "%(name)s" must be true or false.') % {"name": name}
    )


def get_choice(data: QueryDict, name: str, allowed: tuple[str, ...], default: str) -> str:
    """Return ``name`` if it is one of ``allowed`` (``default`` when absent)."""
    value = (data.get(name) or default).strip()
    if value not in allowed:
        raise ParameterError(
            _('The value of the parameter "%(name)s" must be one of: %(allowed)s.')
            % {"name": name, "allowed": ", ".join(allowed)}
        )
    return value


def get_datetime(data: QueryDict, name: str) -> datetime | None:
    """Return ``name`` as an aware datetime (``YYYY-MM-DD HH:MM:SS``, local time), or None."""
    value = (data.get(name) or "").strip()
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            naive = datetime.strptime(value, fmt)  # noqa: DTZ007  (local time, made aware)
            return timezone.make_aware(naive)
        except ValueError:
            continue
    raise ParameterError(
        _('The value of the parameter "%(name)s" must be a date and time as YYYY-MM-DD HH:MM:SS.')
        % {"name": name}
    )
