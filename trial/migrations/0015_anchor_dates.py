"""Anchor dates become rows: ``AnchorDate`` (participant, anchor code, date, source).

The two columns ``Participant.admission_date`` and ``surgery_date`` are copied, value for
value, into rows with the anchor codes ``admission`` and ``surgery`` (source "migrated"),
then removed. Backwards, the rows of those two codes go back into the columns.
"""

import django.db.models.deletion
from django.db import migrations, models

# the columns of the schema before anchors were rows, and the anchor each dated
COLUMNS = (("admission_date", "admission"), ("surgery_date", "surgery"))


def columns_to_rows(apps, schema_editor):
    Participant = apps.get_model("trial", "Participant")
    AnchorDate = apps.get_model("trial", "AnchorDate")
    values = Participant.objects.values_list("pk", *(column for column, _code in COLUMNS))
    rows = []
    for pk, *dates in values.iterator(chunk_size=2000):
        for (_column, code), day in zip(COLUMNS, dates, strict=True):
            if day is not None:
                rows.append(AnchorDate(participant_id=pk, code=code, date=day, source="migrated"))
    AnchorDate.objects.bulk_create(rows, batch_size=2000)


def rows_to_columns(apps, schema_editor):
    Participant = apps.get_model("trial", "Participant")
    AnchorDate = apps.get_model("trial", "AnchorDate")
    for column, code in COLUMNS:
        for pk, day in AnchorDate.objects.filter(code=code).values_list("participant_id", "date"):
            Participant.objects.filter(pk=pk).update(**{column: day})


class Migration(migrations.Migration):
    dependencies = [
        ("trial", "0014_merge_session_branches"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnchorDate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.CharField(max_length=40, verbose_name="anchor")),
                ("date", models.DateField(blank=True, null=True, verbose_name="date")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("registration", "Registration"),
                            ("randomization", "Randomization"),
                            ("form", "Form"),
                            ("entered", "Entered by staff"),
                            ("import", "Import"),
                            ("migrated", "Kept from before anchors were rows"),
                        ],
                        max_length=16,
                        verbose_name="source",
                    ),
                ),
                ("source_form", models.CharField(blank=True, max_length=40, verbose_name="form")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "participant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="anchor_dates",
                        to="trial.participant",
                        verbose_name="participant",
                    ),
                ),
            ],
            options={
                "verbose_name": "anchor date",
                "verbose_name_plural": "anchor dates",
                "ordering": ["participant_id", "code"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("participant", "code"), name="anchor_date_unique_participant_code"
                    )
                ],
            },
        ),
        migrations.RunPython(columns_to_rows, rows_to_columns),
        migrations.RemoveField(model_name="participant", name="admission_date"),
        migrations.RemoveField(model_name="participant", name="surgery_date"),
    ]
