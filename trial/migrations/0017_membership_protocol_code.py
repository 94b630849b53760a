"""Roles are held per trial: ``Membership.protocol_code``.

Existing memberships were held in the one trial the instance ran: they get the code of the
existing participants (all of one trial), or, on an instance without participants yet, the
configured default trial (``settings.EDC_PROTOCOL``, read here once, as the migration runs).
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q


def existing_trial(apps, schema_editor):
    Membership = apps.get_model("trial", "Membership")
    Participant = apps.get_model("trial", "Participant")
    codes = sorted(set(Participant.objects.values_list("protocol_code", flat=True)))
    if len(codes) > 1:
        raise RuntimeError(
            f"participants of several trials ({', '.join(codes)}): assign memberships by hand"
        )
    code = codes[0] if codes else settings.EDC_PROTOCOL
    Membership.objects.filter(protocol_code="").update(protocol_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("trial", "0016_merge_anchors_dashboard"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="membership", name="membership_unique_site_role"),
        migrations.RemoveConstraint(
            model_name="membership", name="membership_unique_trialwide_role"
        ),
        migrations.AddField(
            model_name="membership",
            name="protocol_code",
            field=models.CharField(default="", max_length=40),
            preserve_default=False,
        ),
        migrations.RunPython(existing_trial, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="membership",
            name="protocol_code",
            field=models.CharField(
                help_text="The protocol code of the trial this role is held in.",
                max_length=40,
                verbose_name="trial",
            ),
        ),
        migrations.AlterModelOptions(
            name="membership",
            options={
                "ordering": ["user_id", "protocol_code", "site_id", "role"],
                "verbose_name": "membership",
                "verbose_name_plural": "memberships",
            },
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                fields=("user", "protocol_code", "site", "role"),
                name="membership_unique_site_role",
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=Q(site__isnull=True),
                fields=("user", "protocol_code", "role"),
                name="membership_unique_trialwide_role",
            ),
        ),
    ]
