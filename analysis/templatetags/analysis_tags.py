"""Template filters of the report pages: pick the language of a bilingual cell."""

from typing import Any

from django import template
from django.utils.translation import get_language

from analysis.render.text import cell_text

register = template.Library()


@register.filter
def bi(value: Any) -> str:
    """Return a result cell as text in the active language."""
    return cell_text(value, get_language() or "en")


@register.filter
def cell(row: dict, key: str) -> Any:
    """Return ``row["cells"][key]`` (templates cannot index with a variable)."""
    return row.get("cells", {}).get(key, "")
