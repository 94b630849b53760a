"""``POST /api/``: the REDCap token API: export calls and the record import, audited and
rate limited.

Token authentication only (no session, so CSRF does not apply to this one view). Errors
are a non-200 status with ``{"error": "…"}`` in the caller's language.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from api import formats as F
from api.calls import CALLS, Context, Result
from api.import_call import record_import
from api.live_dictionary import live_project
from api.models import ApiToken
from api.params import ParameterError, get_choice
from api.release import release_csv_path, release_project
from api.selectors import api_ready_release, api_ready_release_latest
from api.services import ApiError, api_rate_check, api_token_authenticate, no_permission
from trial.models import AuditEvent
from trial.permissions import Action, is_blinded, may, sites_for
from trial.protocol import get_protocol
from trial.services.audit import audit_record

LIVE_ACTIONS = (Action.VIEW_PARTICIPANTS, Action.RUN_REPORTS, Action.DOWNLOAD_RELEASES)
AUDITED_PARAMS = (
    "type",
    "records",
    "fields",
    "forms",
    "events",
    "rawOrLabel",
    "exportDataAccessGroups",
    "dateRangeBegin",
    "dateRangeEnd",
    "field",
    "arms",
)


def error(message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _release_asked(request: HttpRequest, token: ApiToken) -> int | None:
    value = (request.POST.get("release") or request.GET.get("release") or "").strip()
    if not value:
        return token.release_version
    if value == "latest":
        latest = api_ready_release_latest(token.protocol_code)
        if latest is None:
            raise ApiError(_("There is no ready release of this project."), 404, "no_release")
        return latest
    if not (value.isascii() and value.isdigit()):  # "²".isdigit() is True, int() refuses it
        raise ParameterError(_('The parameter "release" must be a release number or "latest".'))
    return int(value)


def _context(request: HttpRequest, token: ApiToken, fmt: str) -> Context:
    user, protocol = token.user, get_protocol(token.protocol_code)
    code = protocol.code  # the token's trial: its roles, blinding and sites decide
    blinded = is_blinded(user, code)
    version = _release_asked(request, token)
    if version is None:
        if not any(may(user, code, action) for action in LIVE_ACTIONS):
            raise no_permission()
        sites = {s.code for a in LIVE_ACTIONS for s in sites_for(user, code, a)}
        project = live_project(protocol, blinded=blinded)
        return Context(request.POST, project, fmt, tuple(sorted(sites)))
    if not may(user, code, Action.DOWNLOAD_RELEASES):
        raise no_permission()
    release = api_ready_release(protocol.code, version)
    variant = "blinded" if blinded else "unblinded"
    if release is None or not release_csv_path(release, variant).is_file():
        raise ApiError(
            _("Release %(v)s does not exist or is not ready.") % {"v": version}, 404, "no_release"
        )
    source = release_project(release, protocol, variant)
    sites = tuple(sorted(s.code for s in sites_for(user, code, Action.DOWNLOAD_RELEASES)))
    return Context(request.POST, source.project, fmt, sites, source)


def _audit(
    request: HttpRequest, token: ApiToken, content: str, fmt: str, ctx: Context, result: Result
) -> None:
    params = {
        k: v
        for k in request.POST
        if k != "token" and any(k == p or k.startswith(p + "[") for p in AUDITED_PARAMS)
        for v in [request.POST.getlist(k)]
    }
    changes: dict[str, tuple[Any, Any]] = {
        "api_content": (None, content),
        "format": (None, fmt),
        "params": (None, json.dumps(params, ensure_ascii=False)[:2000]),
        "release": (None, ctx.project.release_version),
        "blinded": (None, ctx.project.blinded),
    }
    if result.count is not None:
        changes["records"] = (None, result.count)
    audit_record(
        actor=token.user,
        action=AuditEvent.Action.EXPORT,
        obj=token,
        changes=changes,
        ip_address=request.META.get("REMOTE_ADDR"),
    )


def _respond(result: Result, fmt: str) -> HttpResponse:
    if result.text is not None:
        return HttpResponse(result.text, content_type="text/plain; charset=utf-8")
    if result.single and fmt == "json":
        row = next(iter(result.rows))
        return JsonResponse(row, json_dumps_params={"ensure_ascii": False})
    body = F.render(fmt, result.header, result.rows, result.titles)
    return StreamingHttpResponse(body, content_type=F.CONTENT_TYPES[fmt])


@csrf_exempt
def api_endpoint(request: HttpRequest) -> HttpResponse:
    """Answer one REDCap API call."""
    if request.method != "POST":
        return error(_("The API accepts only POST requests."), 405)
    try:
        token = api_token_authenticate(request.POST.get("token"))
        api_rate_check(token)
        content = (request.POST.get("content") or "").strip()
        # REDCap clients (PyCap) send no action: a record call carrying data is an import
        implied = "import" if content == "record" and "data" in request.POST else "export"
        action = (request.POST.get("action") or implied).strip()
        if content == "record" and action == "import":
            return record_import(request, token)
        if action != "export":
            raise ParameterError(
                _('The value of the parameter "action" is not valid: %(value)s') % {"value": action}
            )
        if content not in CALLS:
            raise ParameterError(
                _('The value of the parameter "content" is not valid: %(value)s')
                % {"value": content or "—"}
            )
        fmt = get_choice(request.POST, "format", F.FORMATS, "xml")
        get_choice(request.POST, "returnFormat", F.FORMATS, "json")
        ctx = _context(request, token, fmt)
        result = CALLS[content](ctx)
        _audit(request, token, content, fmt, ctx, result)
    except ApiError as exc:
        return error(exc.message, exc.status)
    except ParameterError as exc:
        return error(str(exc), 400)
    return _respond(result, fmt)
