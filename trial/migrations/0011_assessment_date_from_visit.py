"""Give every existing visit form the assessment date it lacked: its visit's target date.

Each filled row gets an audit line saying so (no actor: the migration), so the trail shows
the date was set from the visit, not entered by anyone.
"""

from django.db import migrations

MODELS = ("PainVasData", "OdiData", "JoaData", "Sf36Data", "BaselineData", "DischargeData")
MODELS += ("OutcomeData",)
REASON = "assessment date set to the visit date by data migration (the form had none)"
ACTOR = "data migration 0011"


def fill(apps, schema_editor):
    audit = apps.get_model("trial", "AuditEvent")
    for name in MODELS:
        model = apps.get_model("trial", name)
        rows = model.objects.filter(
            assessment_date__isnull=True,
            instance__visit__isnull=False,
            instance__visit__target_date__isnull=False,
        ).select_related("instance__visit", "instance__participant")
        for row in rows.iterator(chunk_size=2000):
            instance, day = row.instance, row.instance.visit.target_date
            model.objects.filter(pk=row.pk).update(assessment_date=day)
            audit.objects.create(
                actor=None,
                actor_username=ACTOR,
                action="update",
                object_type="trial.forminstance",
                object_id=str(instance.pk),
                object_repr=f"{instance.participant.trial_id} {instance.visit.code} "
                f"{instance.form_code} #{instance.seq}"[:200],
                site_id=instance.participant.site_id,
                changes={"assessment_date": [None, day.isoformat()]},
                reason=REASON,
            )


class Migration(migrations.Migration):
    dependencies = [("trial", "0010_assessment_date")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
