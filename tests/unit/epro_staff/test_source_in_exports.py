"""Each form's source (staff or ePRO) in the datasets, the release files and codebook, and
the REDCap-compatible API (live and release modes, with its dictionary entry); an ePRO entry
marked invalid is flagged, and its values are left out of the datasets."""

import csv
import json

import pytest
from django.conf import settings as django_settings

from analysis.datasets.builders import dataset_build
from analysis.plans import get_plan
from analysis.releases.services import dataset_release_build, dataset_release_declare
from api.services import api_token_create
from tests.factories import user_with_role
from tests.unit.epro.conftest import epro_participant
from trial.models import FormInstance, Role
from trial.services.participant_entries import crf_mark_invalid

from .conftest import submitted

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("EPR-105")]


@pytest.fixture
def trial(participant, nurse, site):
    """One participant who answered by ePRO (VAS later marked invalid), one with nothing."""
    submitted(participant, nurse)
    staff_only = epro_participant(nurse, site, arm="P")
    vas = FormInstance.objects.get(participant=participant, form_code="vas")
    crf_mark_invalid(actor=nurse, instance=vas, reason="answered by a relative")
    return participant, staff_only


def _plan():
    return get_plan(django_settings.EDC_PROTOCOL)


def test_the_datasets_carry_the_source_and_leave_invalid_entries_out(trial):
    # given
    epro, staff_only = trial
    # when
    data = dataset_build(plan=_plan(), population="itt")
    # then
    wide = data.wide.set_index("participant_id")
    assert wide.loc[epro.trial_id, "odi_source_month_3"] == "epro"
    assert wide.loc[epro.trial_id, "vas_source_month_3"] == "epro_invalid"
    assert wide.loc[epro.trial_id, "vas_leg_month_3"] != wide.loc[epro.trial_id, "vas_leg_month_3"]
    assert wide.loc[epro.trial_id, "odi_month_3"] >= 0
    assert wide.loc[epro.trial_id, "vas_source_admission"] is None
    assert wide.loc[staff_only.trial_id, "odi_source_month_3"] is None
    long = data.long[data.long["visit"] == "month_3"].set_index("participant_id")
    assert long.loc[epro.trial_id, "sf36_source"] == "epro"


def test_the_release_and_its_codebook_name_the_source(trial, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path
    stat = user_with_role(Role.STATISTICIAN, site=None, username="stat")
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=stat, reason="interim", enqueue=False
    )
    # when
    dataset_release_build(release_id=release.pk)
    release.refresh_from_db()
    # then
    folder = tmp_path / release.folder
    for variant in ("unblinded", "blinded"):
        with (folder / variant / "wide.csv").open(encoding="utf-8") as fh:
            rows = {r["participant_id"]: r for r in csv.DictReader(fh)}
        assert rows[trial[0].trial_id]["sf36_source_month_3"] == "epro"
        codebook = (folder / variant / "codebook.csv").read_text(encoding="utf-8")
        assert "sf36_source_month_3" in codebook
        assert "epro_invalid" in codebook


def _api(client, token, **params):
    response = client.post("/api/", {"token": token, "format": "json", **params})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, body
    return json.loads(body)


def test_the_live_api_exports_the_source_with_its_dictionary_entry(client, trial):
    # given
    epro = trial[0]
    stat = user_with_role(Role.STATISTICIAN, site=None, username="stat")
    token = api_token_create(actor=stat, user=stat, protocol_code=django_settings.EDC_PROTOCOL)[1]
    # when
    fields = _api(client, token, content="metadata")
    records = _api(client, token, content="record", type="flat", records=epro.trial_id)
    # then
    entry = next(f for f in fields if f["field_name"] == "odi_source")
    assert entry["form_name"] == "odi"
    assert "epro" in entry["select_choices_or_calculations"]
    month_3 = next(r for r in records if r["redcap_event_name"].startswith("month_3"))
    assert month_3["odi_source"] == "epro"
    assert month_3["vas_source"] == "epro_invalid"
    admission = next(r for r in records if r["redcap_event_name"].startswith("admission"))
    assert admission["baseline_source"] == "staff"


def test_the_release_mode_api_exports_the_source(client, trial, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path
    stat = user_with_role(Role.STATISTICIAN, site=None, username="stat")
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=stat, reason="interim", enqueue=False
    )
    dataset_release_build(release_id=release.pk)
    release.refresh_from_db()
    token = api_token_create(
        actor=stat,
        user=stat,
        protocol_code=django_settings.EDC_PROTOCOL,
        release_version=release.version,
    )[1]
    # when
    fields = _api(client, token, content="metadata")
    records = _api(client, token, content="record", type="flat", records=trial[0].trial_id)
    # then
    assert any(f["field_name"] == "sf36_source" and f["form_name"] == "sf36" for f in fields)
    month_3 = next(r for r in records if r["redcap_event_name"].startswith("month_3"))
    assert month_3["sf36_source"] == "epro"
