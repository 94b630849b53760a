"""``content=record&action=import``: REDCap's record import, through :mod:`api.imports`.

Parameters as REDCap defines them: ``data`` in ``format`` json/csv/xml, ``type`` flat/eav,
``overwriteBehavior`` normal/overwrite, ``returnContent`` count/ids/nothing, ``dateFormat``
YMD/MDY/DMY; ``forceAutoNumber=true`` is refused (record ids are trial ids). Two extra
parameters: ``reason`` (needed to change complete forms, and recorded with each change)
and ``acceptWarnings`` (save over soft edit checks, opening a query each).

A refused row answers 400 with ``{"error": "<one CSV line per problem>", "errors": [...]}``:
each problem as record, event, field, value and message (REDCap's error shape), in the
caller's language; nothing is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from lxml import etree

from api.imports import ImportOptions, ImportOrigin, ImportRefused, RowError, import_records
from api.models import ApiToken
from api.params import ParameterError, get_bool, get_choice
from api.services import ApiError
from trial.models import AuditEvent
from trial.permissions import Action, may
from trial.services.audit import audit_record

RETURN_CONTENT = ("count", "ids", "nothing")


def no_import_rights() -> ApiError:
    return ApiError(_("You do not have API import privileges."), 403, "forbidden")


def parse_data(text: str, fmt: str) -> list[dict[str, str]]:
    """Return the rows of an import's ``data`` parameter (json, csv or xml)."""
    if fmt == "json":
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise ParameterError(_("The data are not valid JSON.")) from exc
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ParameterError(_("The data must be a JSON list of records."))
        return [{str(k): "" if v is None else str(v) for k, v in r.items()} for r in rows]
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        return [{k: v or "" for k, v in row.items() if k is not None} for row in reader]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(text.encode(), parser)
    except etree.XMLSyntaxError as exc:
        raise ParameterError(_("The data are not valid XML.")) from exc
    return [
        {child.tag: (child.text or "") for child in item if isinstance(child.tag, str)}
        for item in root.iter("item")
    ]


def error_text(errors: list[RowError]) -> str:
    """REDCap's error text: one CSV line per problem (record, event, field, value, message)."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for e in errors:
        writer.writerow([e.record, e.event, e.field, e.value, e.message])
    return buf.getvalue()


def _answer(content: str, fmt: str, ids: list[str]) -> HttpResponse:
    if content == "nothing":
        return HttpResponse("", content_type="text/plain; charset=utf-8")
    if fmt == "json":
        body: Any = {"count": len(ids)} if content == "count" else ids
        return JsonResponse(body, safe=False, json_dumps_params={"ensure_ascii": False})
    if fmt == "csv":
        text = str(len(ids)) if content == "count" else "id\n" + "".join(f"{i}\n" for i in ids)
        return HttpResponse(text, content_type="text/csv; charset=utf-8")
    if content == "count":
        text = f'<?xml version="1.0" encoding="UTF-8" ?><count>{len(ids)}</count>'
    else:
        text = (
            '<?xml version="1.0" encoding="UTF-8" ?><ids>'
            + "".join(f"<id>{i}</id>" for i in ids)
            + "</ids>"
        )
    return HttpResponse(text, content_type="text/xml; charset=utf-8")


def record_import(request: HttpRequest, token: ApiToken) -> HttpResponse:
    """Import the call's records in one transaction and answer as REDCap does."""
    data = request.POST
    if token.release_version is not None:
        raise ApiError(
            _("This token reads a locked release: it cannot import data."), 403, "read_only"
        )
    if not may(token.user, token.protocol_code, Action.ENTER_DATA):
        raise no_import_rights()
    if get_bool(data, "forceAutoNumber"):
        raise ParameterError(
            _(
                "forceAutoNumber is not supported: record ids are trial ids (site code and "
                "number) and are kept as given."
            )
        )
    fmt = get_choice(data, "format", ("json", "csv", "xml"), "xml")
    return_format = get_choice(data, "returnFormat", ("json", "csv", "xml"), "json")
    content = get_choice(data, "returnContent", RETURN_CONTENT, "count")
    options = ImportOptions(
        kind=get_choice(data, "type", ("flat", "eav"), "flat"),
        overwrite=get_choice(data, "overwriteBehavior", ("normal", "overwrite"), "normal")
        == "overwrite",
        date_format=get_choice(data, "dateFormat", ("YMD", "MDY", "DMY"), "YMD"),
        accept_warnings=get_bool(data, "acceptWarnings"),
        reason=(data.get("reason") or "").strip(),
    )
    text = data.get("data") or ""
    if not text.strip():
        raise ParameterError(_("The parameter data is empty."))
    rows = parse_data(text, fmt)
    call = uuid.uuid4().hex[:12]
    origin = ImportOrigin(
        call=f"api {call}",
        token_hint=token.hint,
        file_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    try:
        result = import_records(
            protocol_code=token.protocol_code,
            user=token.user,
            rows=rows,
            options=options,
            origin=origin,
            keep_changes=False,  # the answer names records, not old -> new values
        )
    except ImportRefused as exc:
        raise ApiError(exc.message, 403, "forbidden") from exc
    if not result.committed:
        return JsonResponse(
            {
                "error": error_text(result.errors),
                "errors": [e.as_dict() for e in result.errors],
            },
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    audit_record(
        actor=token.user,
        action=AuditEvent.Action.UPDATE,
        obj=token,
        changes={
            "api_content": (None, "record import"),
            "origin": (None, origin.label(token.user)),
            "rows": (None, result.rows),
            "records": (None, result.count),
        },
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    return _answer(content, return_format, result.records)
