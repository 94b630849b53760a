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


@register.filter
def header_rows(table: dict) -> list[list[dict]]:
    """Return the table's header as rows of ``{"text", "colspan", "rowspan"}`` cells.

    Columns with a ``group`` (Table 3: arm, then visit) share one top cell spanning them,
    with their ``sub`` labels below; the other columns span both rows.
    """
    language = get_language() or "en"
    columns = table["columns"]
    if not any("group" in c for c in columns):
        return [[{"text": cell_text(c["label"], language), "colspan": 1, "rowspan": 1}
                 for c in columns]]  # fmt: skip
    top: list[dict] = []
    sub: list[dict] = []
    for c in columns:
        if "group" not in c:
            top.append({"text": cell_text(c["label"], language), "colspan": 1, "rowspan": 2})
            continue
        group = cell_text(c["group"], language)
        if top and top[-1].get("group") == group:
            top[-1]["colspan"] += 1
        else:
            top.append({"text": group, "colspan": 1, "rowspan": 1, "group": group})
        sub.append({"text": cell_text(c["sub"], language), "colspan": 1, "rowspan": 1})
    return [top, sub]
