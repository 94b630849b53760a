"""Audit rows name their trial: ``AuditEvent.protocol_code`` (issue 17 item 4).

Existing rows get the trial of the object they point at (``object_type``/``object_id``: the
object's own protocol code, or its participant's, its form's, ... along the same kind of path
``trial.services.audit.protocol_path`` finds; the path is worked out here again on the
models as they are at this migration). Account events (log-ins, password changes) stay
blank. Rows that point at no object that tells (an audit export, an object no longer there)
get the instance's one trial when it has run one only (the code of its participants and
roles, or the configured default ``settings.EDC_PROTOCOL``, read here once, as the migration
runs); on an instance already running several trials they stay blank and show in no
trial's viewer (the administration site still lists them). Backwards the column is dropped;
no row is lost either way.
"""

from collections import deque

from django.conf import settings
from django.db import migrations, models

ACCOUNT_ACTIONS = ("login", "logout", "login_failed", "password_change")
TRIAL_LESS = {settings.AUTH_USER_MODEL.lower(), "trial.site", "trial.auditevent"}
CHUNK = 2000


def _path(model):
    for required_only in (True, False):
        queue = deque([(model, ())])
        seen = {model._meta.label_lower}
        while queue:
            current, path = queue.popleft()
            if "protocol_code" in {f.name for f in current._meta.concrete_fields}:
                return "__".join((*path, "protocol_code"))
            for field in current._meta.concrete_fields:
                target = field.related_model
                if not (field.many_to_one or field.one_to_one) or target is None:
                    continue
                label = target._meta.label_lower
                if label in TRIAL_LESS or label in seen or (required_only and field.null):
                    continue
                seen.add(label)
                queue.append((target, (*path, field.name)))
    return None


def _codes_of(model, path, object_ids):
    """Map each object id (text) to its trial code."""
    pk = model._meta.pk
    keys = {}
    for text in object_ids:
        try:
            keys[pk.to_python(text)] = text
        except Exception:  # noqa: BLE001 - an id of another shape points at nothing here
            continue
    rows = model.objects.filter(pk__in=list(keys)).values_list("pk", path)
    return {keys[key]: code for key, code in rows if code}


def fill_protocol_codes(apps, schema_editor):
    AuditEvent = apps.get_model("trial", "AuditEvent")
    blank = AuditEvent.objects.filter(protocol_code="").exclude(action__in=ACCOUNT_ACTIONS)
    types = blank.exclude(object_type="").values_list("object_type", flat=True).distinct()
    for object_type in sorted(set(types)):
        if object_type in TRIAL_LESS:
            continue
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            continue
        path = _path(model)
        if path is None:
            continue
        ids = sorted(set(blank.filter(object_type=object_type).values_list("object_id", flat=True)))
        for start in range(0, len(ids), CHUNK):
            by_code = {}
            for object_id, code in _codes_of(model, path, ids[start : start + CHUNK]).items():
                by_code.setdefault(code, []).append(object_id)
            for code, object_ids in by_code.items():
                blank.filter(object_type=object_type, object_id__in=object_ids).update(
                    protocol_code=code
                )
    if not blank.exists():
        return
    Participant = apps.get_model("trial", "Participant")
    Membership = apps.get_model("trial", "Membership")
    codes = (
        set(Participant.objects.values_list("protocol_code", flat=True))
        | set(Membership.objects.values_list("protocol_code", flat=True))
        | set(AuditEvent.objects.exclude(protocol_code="").values_list("protocol_code", flat=True))
    )
    if len(codes) <= 1:  # one trial ran here: every row of trial data is of it
        blank.update(protocol_code=codes.pop() if codes else settings.EDC_PROTOCOL)


class Migration(migrations.Migration):
    dependencies = [
        ("trial", "0018_merge_eq5d_membership"),
        # the audited objects of the other apps are read to fill the rows
        ("analysis", "0006_reportrun_release"),
        ("api", "0001_initial"),
        ("epro", "0001_invitations"),
        ("imports", "0002_import_job_queued_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="protocol_code",
            field=models.CharField(blank=True, db_index=True, max_length=40, verbose_name="trial"),
        ),
        migrations.RunPython(fill_protocol_codes, migrations.RunPython.noop),
    ]
