"""Participant numbers count per trial and site: the unique number at a site becomes unique
per (trial, site). Existing participants keep their trial ids and numbers (no row changes);
trial ids stay unique across the instance."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("trial", "0018_merge_eq5d_membership")]

    operations = [
        migrations.RemoveConstraint(
            model_name="participant", name="participant_unique_site_sequence"
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                fields=("protocol_code", "site", "site_sequence"),
                name="participant_unique_trial_site_sequence",
            ),
        ),
    ]
