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
