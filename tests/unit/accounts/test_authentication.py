import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import DEFAULT_PASSWORD, SiteFactory, UserFactory, user_with_role
from trial.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _login(client, username, password=DEFAULT_PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


@pytest.mark.requirement("AUD-003")
def test_login_redirects_home_and_is_audited(client):
    # given
    UserFactory(username="nurse1")
    # when
    response = _login(client, "nurse1")
    # then
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert AuditEvent.objects.filter(action="login", actor_username="nurse1").count() == 1


@pytest.mark.requirement("AUD-003")
def test_wrong_password_is_refused_with_a_message_and_audited(client):
    UserFactory(username="nurse1")
    response = _login(client, "nurse1", "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert AuditEvent.objects.filter(action="login_failed", actor_username="nurse1").exists()


@pytest.mark.requirement("ACC-002")
def test_repeated_failures_lock_the_account_even_with_the_right_password(client, settings):
    UserFactory(username="nurse1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "nurse1", "wrong-password")
    response = _login(client, "nurse1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.requirement("ACC-001")
def test_pages_need_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.requirement("AUD-003", "ACC-001")
def test_logout_needs_post_and_ends_the_session(client):
    UserFactory(username="nurse1")
    _login(client, "nurse1")
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor_username="nurse1").exists()


@pytest.mark.requirement("ACC-002")
def test_password_change_enforces_policy_and_changes_nothing_when_refused(client):
    user = UserFactory(username="nurse1")
    client.force_login(user)
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert not AuditEvent.objects.filter(action="password_change").exists()


@pytest.mark.requirement("AUD-003")
def test_password_change_is_saved_and_audited(client):
    user = UserFactory(username="nurse1")
    client.force_login(user)
    new = "a-much-better-passphrase-7"
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert AuditEvent.objects.filter(action="password_change", actor=user).count() == 1


@pytest.mark.requirement("ACC-001")
def test_sessions_expire_when_idle(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 60 * 60


def test_site_staff_page_shows_only_the_users_own_site(client):
    # given
    s01, s02 = SiteFactory(code="S01"), SiteFactory(code="S02")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=s01, username="nurse1")
    user_with_role(Role.RESEARCH_NURSE, site=s02, username="othernurse")
    client.force_login(nurse)
    # when
    response = client.get(reverse("accounts:site-list"))
    # then
    assert [s.code for s in response.context["sites"]] == ["S01"]
    assert b"othernurse" not in response.content


def test_role_without_staff_view_gets_403(client):
    client.force_login(user_with_role(Role.STATISTICIAN, site=None))
    assert client.get(reverse("accounts:site-list")).status_code == 403


def test_navigation_follows_the_role(client):
    site = SiteFactory()
    client.force_login(user_with_role(Role.RESEARCH_NURSE, site=site))
    keys = [item["key"] for item in client.get(reverse("home")).context["nav_items"]]
    assert keys == ["home", "participants", "worklist", "queries", "sites"]


def test_language_switch_translates_the_page(client):
    client.force_login(user_with_role(Role.RESEARCH_NURSE, site=SiteFactory()))
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/home/"})
    response = client.get(reverse("home"))
    assert response.context["LANGUAGE_CODE"] == "zh-hans"
    with translation.override("zh-hans"):
        heading = translation.gettext("Your roles")
    assert heading != "Your roles"  # the catalogue is compiled and used
    assert heading.encode() in response.content
