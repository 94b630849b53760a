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
        for code in DEMO_TRIALS:  # the same role in each trial, so the switcher shows
            held = Membership.objects.filter(user__username=username, protocol_code=code)
            assert list(held.values_list("role", flat=True)) == [role]
        assert Membership.objects.filter(user__username=username).count() == len(DEMO_TRIALS)
    password = (tmp_path / "demo-password").read_text().strip()
    assert password in capsys.readouterr().out
    assert get_user_model().objects.get(username="nurse").check_password(password)
    # and the second run added nothing: the data are those of one load (one load is slow,
    # so the counts of what it writes are checked here rather than in a test of their own)
    assert_the_demo_load_wrote_its_participants_forms_and_audit_trail()


# What the demo load writes (demo_setup: sites S01 and S02, the paper-like trial at RPT),
# counted when its loading was made fast, so that a faster load is proved to write the same.
# A change of the demo's content (not of its loading) updates these figures. Per trial: the
# seed trial, and the second trial (rehab_ldh) its app's demo loader adds at S01 and S02.
DEMO_TRIALS = ("snrb_peld", "rehab_ldh")
DEMO_COUNTS = {
    "snrb_peld": {
        "RPT": {"participants": 83, "randomized": 77, "visits": 429, "forms": 1116},
        "S01": {"participants": 6, "randomized": 3, "visits": 20, "forms": 30},
        "S02": {"participants": 6, "randomized": 3, "visits": 20, "forms": 30},
    },
    "rehab_ldh": {
        "S01": {"participants": 12, "randomized": 10, "visits": 52, "forms": 145},
        "S02": {"participants": 12, "randomized": 10, "visits": 52, "forms": 148},
    },
}
# The audit rows of both trials' demos (the seed's alone: 83 allocations, 1 list, 85
# consents, 93 assessments, 1176 forms, 95 participants, 469 visits created, 447 updated).
DEMO_AUDIT = {
    "create:trial.allocation": 103,
    "create:trial.allocationlist": 2,
    "create:trial.consent": 105,
    "create:trial.eligibilityassessment": 115,
    "create:trial.forminstance": 1469,
    "create:trial.participant": 119,
    "create:trial.personaldata": 119,
    "create:trial.visit": 573,
    "update:trial.allocationlist": 2,
    "update:trial.participant": 103,
    "update:trial.visit": 525,
}


def demo_counts() -> dict:
    from trial.models import FormInstance, Participant, Site, Visit

    counts: dict = {}
    for code in DEMO_TRIALS:
        for site in Site.objects.order_by("code"):
            participants = Participant.objects.filter(site=site, protocol_code=code)
            if participants.exists():
                counts.setdefault(code, {})[site.code] = {
                    "participants": participants.count(),
                    "randomized": participants.filter(allocation__isnull=False).count(),
                    "visits": Visit.objects.filter(participant__in=participants).count(),
                    "forms": FormInstance.objects.filter(participant__in=participants).count(),
                }
    assert Participant.objects.exclude(protocol_code__in=DEMO_TRIALS).count() == 0
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
