"""The language follows the user; times follow the site's zone (L10N-001, L10N-003)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, SiteFactory, user_with_role
from trial.models import Role, site_today
from trial.permissions import user_time_zone

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.requirement("L10N-001")
def test_the_switcher_keeps_the_language_on_the_account():
    # given: a nurse signed in on one tablet
    nurse = user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(), username="lang-nurse")
    tablet = Client()
    _login(tablet, "lang-nurse")
    # when: she chooses Chinese
    tablet.post(reverse("set_language"), {"language": "zh-hans", "next": "/home/"})
    # then: her account keeps it
    nurse.refresh_from_db()
    assert nurse.language == "zh-hans"


@pytest.mark.requirement("L10N-001")
def test_logging_in_on_another_device_brings_the_saved_language():
    # given: a nurse whose account keeps Chinese, and a new tablet with no cookie
    user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(), username="lang-nurse2")
    first = Client()
    _login(first, "lang-nurse2")
    first.post(reverse("set_language"), {"language": "zh-hans", "next": "/home/"})
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    # when
    _login(other, "lang-nurse2")
    response = other.get(reverse("home"))
    # then: Chinese, and the tablet's cookie now says so for its next log-in page
    assert response.context["LANGUAGE_CODE"] == "zh-hans"
    assert other.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


@pytest.mark.requirement("L10N-001")
def test_the_saved_language_beats_a_stale_cookie_and_anonymous_choices_save_nothing():
    nurse = user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(), username="lang-nurse3")
    nurse.language = "en"
    nurse.save()
    client = Client()
    # an anonymous switch (on the log-in page) only sets the cookie
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    _login(client, "lang-nurse3")
    assert client.get(reverse("home")).context["LANGUAGE_CODE"] == "en"
    nurse.refresh_from_db()
    assert nurse.language == "en"


def test_an_unknown_language_is_not_saved():
    nurse = user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(), username="lang-nurse4")
    client = Client()
    client.force_login(nurse)
    response = client.post(reverse("set_language"), {"language": "xx-yy", "next": "/home/"})
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert nurse.language == ""


@pytest.mark.requirement("L10N-003")
def test_today_at_a_site_follows_its_zone_while_storage_stays_utc():
    shanghai = SiteFactory(code="Z01", time_zone="Asia/Shanghai")
    utc_site = SiteFactory(code="Z02")
    # 2026-12-04 18:05 UTC is 2026-12-05 02:05 in Shanghai
    with time_machine.travel(datetime.datetime(2026, 12, 4, 18, 5, tzinfo=datetime.UTC)):
        assert site_today(shanghai) == datetime.date(2026, 12, 5)
        assert site_today(utc_site) == datetime.date(2026, 12, 4)
    assert settings.USE_TZ


@pytest.mark.requirement("L10N-003")
def test_a_user_sees_their_sites_zone_and_trial_wide_users_the_trials():
    shanghai = SiteFactory(code="Z03", time_zone="Asia/Shanghai")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=shanghai, username="zone-nurse")
    manager = user_with_role(Role.DATA_MANAGER, site=None, username="zone-dm")
    assert user_time_zone(nurse) == ZoneInfo("Asia/Shanghai")
    assert user_time_zone(manager) is None  # settings.TIME_ZONE
    client = Client()
    client.force_login(nurse)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["TIME_ZONE"] == "Asia/Shanghai"


def test_a_site_zone_must_be_a_real_zone_name():
    site = SiteFactory(code="Z04", time_zone="Mars/Olympus")
    with pytest.raises(ValidationError) as raised:
        site.full_clean()
    assert "time_zone" in raised.value.message_dict
