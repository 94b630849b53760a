"""Views call selectors and services, never the ORM (issue 17 item 7).

import-linter cannot see this rule (a view may import a model for a type or a form), so it
is checked here on the source: no view module touches a model manager (``X.objects``),
calls a queryset method, or uses the ``get_object_or_404`` shortcuts; the query lives in a
selector (``<app>/selectors.py``, ``trial/selectors/``), which the view calls.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

# Every view module of the apps: views.py, views_*.py, *_views.py, trial/views/*.py.
VIEW_GLOBS = ("*/views.py", "*/views_*.py", "*/*_views.py", "trial/views/*.py")
# Methods that only a QuerySet (or a manager) has, or that run a query when called on one.
QUERYSET_METHODS = frozenset({
    "all", "filter", "exclude", "annotate", "aggregate", "select_related", "prefetch_related",
    "order_by", "values_list", "only", "defer", "distinct", "exists", "first", "last",
    "earliest", "latest", "in_bulk", "iterator", "select_for_update", "create", "delete",
    "get_or_create", "update_or_create", "bulk_create", "bulk_update",
})  # fmt: skip
SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})


def view_modules() -> list[Path]:
    found = {path for pattern in VIEW_GLOBS for path in REPO.glob(pattern)}
    return sorted(p for p in found if ".venv" not in p.parts and "tests" not in p.parts)


def orm_uses(source: str) -> list[str]:
    """Return ``line: what`` for every ORM use in a module's source."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            uses.append(f"{node.lineno}: .objects")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in QUERYSET_METHODS:
                uses.append(f"{node.lineno}: .{func.attr}()")
            elif isinstance(func, ast.Name) and func.id in SHORTCUTS:
                uses.append(f"{node.lineno}: {func.id}()")
    return sorted(uses)


def test_every_apps_views_are_checked() -> None:
    names = {str(p.relative_to(REPO)) for p in view_modules()}
    expected = {
        "accounts/views.py", "analysis/views.py", "analysis/views_releases.py", "api/views.py",
        "api/views_tokens.py", "epro/views.py", "epro/staff_views.py", "imports/views.py",
        "trial/views/crfs.py", "trial/views/queries.py", "trial/views/randomization.py",
    }  # fmt: skip
    assert expected <= names


@pytest.mark.parametrize("path", view_modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_a_view_module_leaves_queries_to_selectors(path: Path) -> None:
    assert orm_uses(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_each_kind_of_orm_use() -> None:
    source = (
        "from django.shortcuts import get_object_or_404\n"
        "def view(request, pk):\n"
        "    a = Participant.objects.filter(site=request.site)\n"
        "    b = request.user.memberships.all()\n"
        "    c = get_object_or_404(Query, pk=pk)\n"
        "    d = runs.order_by('-at').first()\n"
        "    e = {'x': 1}.get('x')  # a dict is not a queryset\n"
    )
    assert orm_uses(source) == [
        "3: .filter()", "3: .objects", "4: .all()", "5: get_object_or_404()",
        "6: .first()", "6: .order_by()",
    ]  # fmt: skip
