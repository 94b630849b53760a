from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from trial.models import Membership

pytestmark = pytest.mark.django_db

DEMO_ROLES = {
    "nurse": "research_nurse",
    "investigator": "investigator",
    "datamanager": "data_manager",
    "statistician": "statistician",
    "assessor": "outcome_assessor",
    "admin": "administrator",
    "dmc": "dmc_member",
}


def test_demo_setup_is_refused_outside_the_demo(settings):
    settings.EDC_DEMO = False
    with pytest.raises(CommandError):
        call_command("demo_setup")
    assert not get_user_model().objects.exists()


def test_demo_setup_creates_every_role_once_and_is_idempotent(settings, tmp_path, capsys):
    settings.EDC_DEMO, settings.VAR_DIR = True, tmp_path
    call_command("demo_setup")
    call_command("demo_setup")
    for username, role in DEMO_ROLES.items():
        held = Membership.objects.filter(user__username=username).values_list("role", flat=True)
        assert list(held) == [role]
    password = (tmp_path / "demo-password").read_text().strip()
    assert password in capsys.readouterr().out
    assert get_user_model().objects.get(username="nurse").check_password(password)
    # and the second run added nothing: the data are those of one load (one load is slow,
    # so the counts of what it writes are checked here rather than in a test of their own)
    assert_the_demo_load_wrote_its_participants_forms_and_audit_trail()


# What the demo load writes (demo_setup: sites S01 and S02, the paper-like trial at RPT),
# counted when its loading was made fast, so that a faster load is proved to write the same.
# A change of the demo's content (not of its loading) updates these figures.
DEMO_COUNTS = {
    "RPT": {"participants": 83, "randomized": 77, "visits": 429, "forms": 1116},
    "S01": {"participants": 6, "randomized": 3, "visits": 20, "forms": 30},
    "S02": {"participants": 6, "randomized": 3, "visits": 20, "forms": 30},
}
DEMO_AUDIT = {
    "create:trial.allocation": 83,
    "create:trial.allocationlist": 1,
    "create:trial.consent": 85,
    "create:trial.eligibilityassessment": 93,
    "create:trial.forminstance": 1176,
    "create:trial.participant": 95,
    "create:trial.personaldata": 95,
    "create:trial.visit": 469,
    "update:trial.allocationlist": 1,
    "update:trial.participant": 83,
    "update:trial.visit": 447,
}


def demo_counts() -> dict:
    from trial.models import FormInstance, Participant, Site, Visit

    counts = {}
    for site in Site.objects.order_by("code"):
        participants = Participant.objects.filter(site=site)
        counts[site.code] = {
            "participants": participants.count(),
            "randomized": participants.filter(allocation__isnull=False).count(),
            "visits": Visit.objects.filter(participant__site=site).count(),
            "forms": FormInstance.objects.filter(participant__site=site).count(),
        }
    return counts


def assert_the_demo_load_wrote_its_participants_forms_and_audit_trail() -> None:
    from trial.models import AuditEvent, FormInstance

    assert demo_counts() == DEMO_COUNTS
    audit = Counter(f"{a}:{t}" for a, t in AuditEvent.objects.values_list("action", "object_type"))
    assert dict(audit) == DEMO_AUDIT
    # every form went through the CRF service: one audit row per revision, by the nurse
    per_form = Counter(
        AuditEvent.objects.filter(object_type="trial.forminstance").values_list(
            "object_id", flat=True
        )
    )
    for pk, revision in FormInstance.objects.values_list("pk", "revision"):
        assert per_form[str(pk)] == revision
    assert set(AuditEvent.objects.values_list("actor_username", flat=True)) == {
        "nurse",
        "statistician",
    }
