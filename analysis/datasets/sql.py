"""The wide and long datasets as CSV shaped and formatted by PostgreSQL (``COPY … TO STDOUT``).

One SELECT per frame is generated from the protocol's column definitions
(``analysis.datasets.columns``, themselves the variable dictionary's): each non-repeating
form's complete rows are pivoted into the dataset's columns per participant in the
database, the derived columns (visit timing, who entered each form, the age, the flow
columns) are computed there too, and every value is formatted as the Python builder's
CSV writer formats it (``analysis.releases.writers.write_csv`` of the release frames):
numbers as ``%.10g``, booleans ``1``/``0``, dates ``YYYY-MM-DD``, date-times as local
``YYYY-MM-DD HH:MM``, lists joined by ``;``, a missing value as an empty field and
formula-like text neutralised (``trial.spreadsheet``). The rows are streamed to the file
with psycopg's ``cursor.copy``: no row is held in Python.

PostgreSQL only (``copy_supported``); the demo's SQLite keeps the Python builder. Both give
the same bytes (tests/unit/analysis/test_copy_csv.py).

Known limit: a number stored with more than ten significant digits whose 11th digit and
beyond are exactly ``5`` (a tie of the shortest decimal form) may round the other way than
C's ``%.10g`` of the binary value; no value the forms or scorers produce is of that kind.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from analysis.datasets import columns as C
from analysis.datasets.builders import long_frame_visits
from analysis.plans import AnalysisPlan
from trial.models import AnchorDate, FormInstance, Participant, Site, Visit
from trial.models.randomization import Allocation
from trial.protocol import Protocol, get_protocol
from trial.spreadsheet import FORMULA_START

COMPLETE = FormInstance.Status.COMPLETE


class NoSqlForColumns(NotImplementedError):
    """A wide column the generator cannot write in SQL (a derivation only Python knows).
    Raised before any file is written, so the caller can build the CSVs in Python."""


ORDER = '"__order"'  # the wide rows' sort key: the trial id


def copy_supported() -> bool:
    """Whether the datasets can be extracted by ``COPY`` (PostgreSQL with psycopg 3)."""
    return connection.vendor == "postgresql"


def _lit(value: str) -> str:
    """A SQL string literal (the values are the protocol's own codes, quoted anyway)."""
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _safe(text: str) -> str:
    """``trial.spreadsheet.spreadsheet_safe`` of a text expression; '' becomes NULL."""
    return f"pg_temp.edc_safe(({text})::text)"


def _safe_function() -> str:
    """The SQL function behind :func:`_safe` (for the session, inlined by the planner)."""
    escaped = {"\t": "E'\\t'", "\r": "E'\\r'"}
    starts = ", ".join(escaped.get(c, _lit(c)) for c in FORMULA_START)
    number = _lit(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
    apostrophe = _lit("'")
    return (
        "CREATE OR REPLACE FUNCTION pg_temp.edc_safe(t text) RETURNS text "
        "LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN t = '' THEN NULL "
        f"WHEN left(t, 1) IN ({starts}) AND t !~ {number} THEN {apostrophe} || t "
        "ELSE t END $$;"
    )


def _g10(number: str) -> str:
    """``"%.10g" % float(x)`` of a numeric expression (NULL stays NULL)."""
    return f"pg_temp.edc_g10(({number})::numeric)"


# "%.10g" in SQL: integers and numbers of 1e-4 <= |x| < 1e9 inline (all the data), the rest
# (exponent notation) in PL/pgSQL. Created for the session, dropped with it.
_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION pg_temp.edc_g10_rare(v numeric) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE e int; r numeric; m text;
BEGIN
  IF v IS NULL THEN RETURN NULL; END IF;
  IF v = 0 THEN RETURN '0'; END IF;
  e := floor(log(abs(v)))::int;
  r := round(v, 9 - e);
  e := floor(log(abs(r)))::int;
  IF e >= -4 AND e < 10 THEN RETURN trim_scale(r)::text; END IF;
  m := trim_scale(round(r / power(10::numeric, e), 9))::text;
  RETURN m || CASE WHEN e < 0 THEN 'e-' ELSE 'e+' END || lpad(abs(e)::text, 2, '0');
END $$;
CREATE OR REPLACE FUNCTION pg_temp.edc_g10(v numeric) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
  WHEN v IS NULL THEN NULL
  WHEN v = trunc(v) AND abs(v) < 1e10 THEN trunc(v)::text
  WHEN abs(v) >= 0.0001 AND abs(v) < 1e9 THEN trim_scale(round(v, CASE
    WHEN abs(v) >= 1e8 THEN 1 WHEN abs(v) >= 1e7 THEN 2 WHEN abs(v) >= 1e6 THEN 3
    WHEN abs(v) >= 1e5 THEN 4 WHEN abs(v) >= 1e4 THEN 5 WHEN abs(v) >= 1e3 THEN 6
    WHEN abs(v) >= 100 THEN 7 WHEN abs(v) >= 10 THEN 8 WHEN abs(v) >= 1 THEN 9
    WHEN abs(v) >= 0.1 THEN 10 WHEN abs(v) >= 0.01 THEN 11 WHEN abs(v) >= 0.001 THEN 12
    ELSE 13 END))::text
  ELSE pg_temp.edc_g10_rare(v) END
$$;
"""


def _bool(expr: str) -> str:
    return f"(CASE WHEN ({expr}) THEN '1' WHEN NOT ({expr}) THEN '0' END)"


def _date(expr: str) -> str:
    return f"to_char({expr}, 'YYYY-MM-DD')"


def _local_day(expr: str, field: models.Field) -> str:
    if isinstance(field, models.DateTimeField):
        return f"(({expr}) AT TIME ZONE {_lit(_tz())})::date"
    return expr


def _tz() -> str:
    return timezone.get_current_timezone_name()


# A number released as text (a code stored as a number) is written as Python's ``str`` of
# the value the builder holds: an integer column becomes floats (``3.0``) as soon as one
# registered participant lacks the value, else stays integers (``3``); decimals and scores
# are read as floats. ``{whole}`` is replaced by whether the column is complete.
_WHOLE = "{whole}"


def _number_text(expr: str, integer: bool) -> str:
    if integer:
        return (f"(CASE WHEN ({expr}) IS NULL THEN NULL WHEN {_WHOLE} THEN ({expr})::text "
                f"ELSE ({expr})::text || '.0' END)")  # fmt: skip
    number = f"trim_scale(({expr})::numeric)"
    return (f"(CASE WHEN {number} IS NULL THEN NULL WHEN scale({number}) = 0 "
            f"THEN {number}::text || '.0' ELSE {number}::text END)")  # fmt: skip


def _value(column: C.Column, model: Any, alias: str) -> tuple[str, str, Callable[[str], str]]:
    """One dictionary variable of ``model`` (row alias ``alias``): its raw value read once per
    form row, the aggregate that pivots it per participant, and the CSV text of the result.

    Formatting the aggregated value (a plain column) rather than the row's expression keeps
    PostgreSQL from evaluating a cast or a JSON lookup once per use in the formatting."""
    if column.source.startswith("scores."):
        raw = f"({alias}.scores ->> {_lit(column.source.removeprefix('scores.'))})::numeric"
        if column.dtype == "float":
            return raw, "max", _g10
        return raw, "max", lambda r: _number_text(r, integer=False)
    field = model._meta.get_field(column.source)
    ref = f"{alias}.{_ident(field.column)}"
    if column.dtype == "float":
        if isinstance(field, models.FloatField):
            return f"{ref}::text::numeric", "max", _g10  # the double's shortest text
        return f"{ref}::numeric", "max", _g10
    if column.dtype == "bool":
        return ref, "bool_or", _bool
    if column.dtype == "list":
        elements = f"jsonb_array_elements_text({ref}::jsonb)"
        return f"(SELECT string_agg(x, ';') FROM {elements} x)", "max", _safe
    if isinstance(field, models.DateTimeField):
        return (
            ref,
            "max",
            lambda r: f"to_char({r} AT TIME ZONE {_lit(_tz())}, 'YYYY-MM-DD HH24:MI')",
        )
    if isinstance(field, models.DateField):
        return ref, "max", _date
    if isinstance(field, models.IntegerField):
        return ref, "max", lambda r: _number_text(r, integer=True)
    if isinstance(field, models.DecimalField | models.FloatField):
        return f"{ref}::text::numeric", "max", lambda r: _number_text(r, integer=False)
    if isinstance(field, models.BooleanField):
        return (
            ref,
            "bool_or",
            lambda r: f"(CASE WHEN {r} THEN 'True' WHEN NOT {r} THEN 'False' END)",
        )
    return f"{ref}::text", "max", _safe


def _at(column: C.Column) -> str:
    return f" FILTER (WHERE visit = {_lit(column.visit)})" if column.visit else ""


def _t(model: Any) -> str:
    return _ident(model._meta.db_table)


def _c(model: Any, name: str) -> str:
    return _ident(model._meta.get_field(name).column)


def _participant_filter(protocol: Protocol, sites: tuple[str, ...], params: list) -> str:
    where = f"p.{_c(Participant, 'protocol_code')} = %s"
    params.append(protocol.code)
    if sites:
        where += (
            f" AND p.{_c(Participant, 'site')} IN (SELECT id FROM {_t(Site)} WHERE code = ANY(%s))"
        )
        params.append(list(sites))
    return where


def _wide_query(plan: AnalysisPlan, population: str, sites: tuple[str, ...]) -> tuple[str, list]:
    """The wide frame's SELECT (every column formatted as CSV text), and its parameters."""
    protocol = get_protocol(plan.protocol_code)
    params: list[Any] = []
    fi, v = _t(FormInstance), _t(Visit)
    ctes: list[str] = [
        f"people AS (SELECT p.id FROM {_t(Participant)} p "
        f"WHERE {_participant_filter(protocol, sites, params)})",
        "counted AS (SELECT count(*) AS n FROM people)",
        # the complete, non-voided forms of those participants, read once
        f"instances AS (SELECT i.id, i.participant_id AS pk, i.form_code, i.invalid_at, "
        f"i.source, coalesce(vv.{_c(Visit, 'code')}, '') AS visit FROM {fi} i "
        f"JOIN people ON people.id = i.participant_id LEFT JOIN {v} vv ON vv.id = i.visit_id "
        f"WHERE NOT i.is_voided AND i.status = {_lit(COMPLETE)})",
    ]
    by_form: dict[str, dict[str, str]] = {}  # form -> wide column -> aggregated expression
    dated: list[str] = []
    sources = C.wide_sources(protocol)
    age = protocol.age
    forms_read = []
    for formdef in protocol.forms:
        if formdef.repeating:
            continue
        model = apps.get_model(formdef.model)
        name = f"f_{len(forms_read)}"
        forms_read.append(formdef.code)
        wanted = {n: c for n, c in sources.items() if c.form == formdef.code}
        selects = ["i.pk", "i.visit"]
        counts = []
        aggs = ["pk"]
        out: dict[str, str] = {}
        for i, (column_name, column) in enumerate(wanted.items()):
            raw, aggregate, text = _value(column, model, "d")
            selects.append(f"{raw} AS c{i}")
            aggs.append(f"{aggregate}(c{i}){_at(column)} AS c{i}")
            value = text(f"{name}.c{i}")
            if _WHOLE in value:  # complete when every registered participant has it
                whole = f"((SELECT c{i} FROM {name}_n) = (SELECT n FROM counted))"
                counts.append(f"count(c{i}) AS c{i}")
                value = value.replace(_WHOLE, whole)
            out[column_name] = value
        names = {f.name: f for f in model._meta.concrete_fields}
        if formdef.date_field in names:
            day = _local_day(
                f"d.{_ident(names[formdef.date_field].column)}", names[formdef.date_field]
            )
            selects.append(f"{day} AS day")
            dated.append(
                f"SELECT pk, visit, day FROM {name}_rows WHERE day IS NOT NULL AND visit <> ''"
            )
        if age is not None and formdef.code == age.form:
            selects.append(f"d.{_c(model, age.field)} AS birth")
            aggs.append("max(birth) AS birth")
            out["__birth"] = f"{name}.birth"
        for visit_code in {vc for vc in C.form_visits(protocol, formdef.code)} | (
            {plan.per_protocol_form[0]} if plan.per_protocol_form[1] == formdef.code else set()
        ):
            aggs.append(f"bool_or(visit = {_lit(visit_code)}) AS {_ident('at_' + visit_code)}")
        ctes.append(
            f"{name}_rows AS (SELECT {', '.join(selects)} FROM {_t(model)} d "
            f"JOIN instances i ON i.id = d.{_c(model, 'instance')} "
            f"WHERE i.form_code = {_lit(formdef.code)} AND i.invalid_at IS NULL)"
        )
        ctes.append(f"{name} AS (SELECT {', '.join(aggs)} FROM {name}_rows GROUP BY pk)")
        if counts:  # how many participants have each number released as text
            ctes.append(f"{name}_n AS (SELECT {', '.join(counts)} FROM {name})")
        by_form[formdef.code] = {**out, "__alias": name}
    # anchors
    anchor_codes = [a.code for a in protocol.anchors]
    ctes.append(
        "anchors AS (SELECT participant_id AS pk, "
        + ", ".join(
            f"max({_c(AnchorDate, 'date')}) FILTER (WHERE {_c(AnchorDate, 'code')} = "
            f"{_lit(code)}) AS a_{i}"
            for i, code in enumerate(anchor_codes)
        )  # fmt: skip
        + f" FROM {_t(AnchorDate)} GROUP BY participant_id)"
        if anchor_codes
        else "anchors AS (SELECT NULL::int AS pk)"
    )
    anchor_ref = {code: f"anchors.a_{i}" for i, code in enumerate(anchor_codes)}
    # timing: per timed visit, the first day and whether any day lies outside the window
    timed = C.timed_visits(protocol)
    timing_aggs = ["t.pk"]
    for i, code in enumerate(timed):
        definition = protocol.visit(code)
        low, high = definition.window_days()
        anchor = anchor_ref.get(definition.anchor, "NULL::date")
        timing_aggs.append(f"min(t.day) FILTER (WHERE t.visit = {_lit(code)}) AS first_{i}")
        timing_aggs.append(
            f"bool_or(t.day - {anchor} < {low} OR t.day - {anchor} > {high}) "
            f"FILTER (WHERE t.visit = {_lit(code)}) AS out_{i}"
        )
    days_union = (
        " UNION ALL ".join(dated)
        or "SELECT NULL::int AS pk, ''::text AS visit, NULL::date AS day WHERE false"
    )
    ctes.append(
        f"timing AS (SELECT {', '.join(timing_aggs)} FROM ({days_union}) t "
        f"LEFT JOIN anchors ON anchors.pk = t.pk GROUP BY t.pk)"
    )
    # who entered each measure's form
    source_cols: dict[str, str] = {}
    src_aggs = ["i.pk"]
    for form in C.source_forms(protocol):
        for visit_code in C.form_visits(protocol, form):
            k = len(source_cols)
            src_aggs.append(
                f"max(CASE WHEN i.invalid_at IS NOT NULL THEN 'epro_invalid' ELSE i.source END) "
                f"FILTER (WHERE i.form_code = {_lit(form)} AND i.visit = {_lit(visit_code)}) "
                f"AS s_{k}"
            )
            source_cols[f"{C.source_column(form)}_{visit_code}"] = f"sources.s_{k}"
    forms = ", ".join(_lit(f) for f in C.source_forms(protocol)) or "NULL"
    ctes.append(
        f"sources AS (SELECT {', '.join(src_aggs)} FROM instances i "
        f"WHERE i.visit <> '' AND i.form_code IN ({forms}) GROUP BY i.pk)"
    )
    # the flow columns
    arm = "a." + _c(Allocation, "arm")

    def has(form: str, visit_code: str | None = None) -> str:
        if form not in by_form:
            return "false"
        alias = by_form[form]["__alias"]
        if visit_code is None:
            return f"({alias}.pk IS NOT NULL)"
        return f"coalesce({alias}.{_ident('at_' + visit_code)}, false)"

    branches = " ".join(
        f"WHEN {_lit(a)} THEN " + (" AND ".join(has(f) for f in forms) or "true")
        for a, forms in plan.treatment_forms.items()
    )
    received = f"({arm} IS NOT NULL AND (CASE {arm} {branches} ELSE true END))" if branches else (
        f"({arm} IS NOT NULL)")  # fmt: skip
    pp_visit, pp_form = plan.per_protocol_form
    per_protocol = f"({received} AND {has(pp_form, pp_visit)})"
    # the columns, in the wide frame's order
    exprs: dict[str, str] = {
        "participant_id": _safe(f"p.{_c(Participant, 'trial_id')}"),
        "arm": _safe(arm),
        "arm_historical": f"(CASE WHEN {arm} IS NULL THEN NULL WHEN "
        f"a.{_c(Allocation, 'historical_load')} IS NOT NULL THEN '1' ELSE '0' END)",
        "site": _safe("s.code"),
        "status": _safe(f"p.{_c(Participant, 'status')}"),
        "end_reason": _safe(f"p.{_c(Participant, 'end_reason')}"),
        "screening_date": _date(f"p.{_c(Participant, 'screening_date')}"),
    }
    for anchor in protocol.registration_anchors:
        exprs[f"{anchor.code}_date"] = _date(anchor_ref[anchor.code])
    for form_columns in by_form.values():
        exprs.update({k: e for k, e in form_columns.items() if not k.startswith("__")})
    if age is not None:
        birth = by_form.get(age.form, {}).get("__birth", "NULL::date")
        exprs[age.name] = _g10(f"round(({anchor_ref[age.anchor]} - {birth})::numeric / 365.25, 2)")
    for i, code in enumerate(timed):
        anchor = anchor_ref.get(protocol.visit(code).anchor, "NULL::date")
        exprs[f"assessment_date_{code}"] = _date(f"timing.first_{i}")
        exprs[f"days_from_anchor_{code}"] = f"(timing.first_{i} - {anchor})::text"
        exprs[f"in_window_{code}"] = (
            f"(CASE WHEN timing.first_{i} IS NULL OR {anchor} IS NULL THEN NULL "
            f"WHEN timing.out_{i} THEN '0' ELSE '1' END)"
        )
    exprs.update(source_cols)
    exprs["received_allocated"] = _bool(received)
    exprs["per_protocol"] = _bool(per_protocol)
    names = [c.name for c in C.wide_columns(protocol)]
    missing = [n for n in names if n not in exprs]
    if missing:
        raise NoSqlForColumns(f"no SQL for wide columns {missing}")
    joins = " ".join(
        f"LEFT JOIN {f['__alias']} ON {f['__alias']}.pk = p.id" for f in by_form.values()
    )
    pfilter = _participant_filter(protocol, sites, params)
    where = f"{pfilter} AND {arm} IS NOT NULL" + (
        f" AND {per_protocol}" if population == "pp" else ""
    )
    select = ", ".join(f"{exprs[n]} AS {_ident(n)}" for n in names)
    select += f", p.{_c(Participant, 'trial_id')} AS {ORDER}"
    sql = (
        f"WITH {', '.join(ctes)} SELECT {select} FROM {_t(Participant)} p "
        f"JOIN {_t(Allocation)} a ON a.{_c(Allocation, 'participant')} = p.id "
        f"LEFT JOIN {_t(Site)} s ON s.id = p.{_c(Participant, 'site')} "
        f"LEFT JOIN anchors ON anchors.pk = p.id LEFT JOIN timing ON timing.pk = p.id "
        f"LEFT JOIN sources ON sources.pk = p.id {joins} "
        f"WHERE {where}"
    )
    return sql, params


def _write_long(wide: Path, long: Path, protocol: Protocol) -> None:
    """Write the long frame's CSV from the wide one, streamed row by row: one row per
    participant × visit collecting any measure (``builders._long_frame``), each cell the
    wide file's text of ``<column>_<visit>`` (empty when the wide frame has no such column)."""
    visits = long_frame_visits(protocol)
    names = [m.name for m in (*C.timing_columns(protocol), *C.measures(protocol))]
    names += [C.source_column(f) for f in C.source_forms(protocol)]
    with wide.open(encoding="utf-8", newline="") as inp, \
            long.open("w", encoding="utf-8", newline="") as out:  # fmt: skip
        rows = csv.reader(inp)
        at = {name: i for i, name in enumerate(next(rows))}
        plans = [
            (visit.code, str(order), [at.get(f"{name}_{visit.code}") for name in names])
            for order, visit in enumerate(visits)
        ]
        person, arm = at["participant_id"], at["arm"]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.name for c in C.long_columns(protocol)])
        for row in rows:
            for code, order, where in plans:
                writer.writerow([row[person], row[arm], code, order,
                                 *("" if i is None else row[i] for i in where)])  # fmt: skip


def copy_dataset_csv(
    *, plan: AnalysisPlan, population: str, folder: Path, sites: tuple[str, ...] = ()
) -> dict[str, Path]:
    """Write ``wide.csv`` of ``population`` into ``folder`` by ``COPY``, and ``long.csv``
    from it (a streamed column transform).

    The same bytes as ``write_csv`` of the release's unblinded wide and long frames
    (``analysis.releases.frames.unblinded_frames`` of ``dataset_build``).
    """
    if population not in ("itt", "pp"):
        raise ValueError("population must be 'itt' or 'pp'")
    protocol = get_protocol(plan.protocol_code)
    wide_sql, params = _wide_query(plan, population, sites)
    names = [c.name for c in C.wide_columns(protocol)]
    columns = ", ".join(_ident(n) for n in names)
    query = f'SELECT {columns} FROM ({wide_sql}) w ORDER BY {ORDER} COLLATE "C"'
    out = {"wide": folder / "wide.csv", "long": folder / "long.csv"}
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(names)
    with connection.cursor() as cursor, out["wide"].open("wb") as fh:
        # JIT compiling the wide SELECT (hundreds of expressions) costs more than it runs
        cursor.execute(_FUNCTIONS + _safe_function() + "SET jit = off;")
        try:
            fh.write(head.getvalue().encode())
            with cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                for block in copy:
                    fh.write(block)
        finally:
            cursor.execute("RESET jit")
    _write_long(out["wide"], out["long"], protocol)
    return out
