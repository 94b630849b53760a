"""Django's conventional /accounts/login/ leads to the log-in page, keeping ?next."""

import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, SiteFactory, user_with_role
from trial.models import Role

pytestmark = pytest.mark.django_db


def test_accounts_login_redirects_to_the_login_page_with_next(client) -> None:
    response = client.get("/accounts/login/?next=/queries/")
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next=/queries/"
    page = client.get(response.url)
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()


def test_without_the_slash_it_arrives_there_too(client) -> None:
    response = client.get("/accounts/login", follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert response.status_code == 200


def test_logging_in_from_there_goes_to_next(client) -> None:
    nurse = user_with_role(Role.RESEARCH_NURSE, site=SiteFactory())
    login = client.get("/accounts/login/?next=/worklist/").url
    response = client.post(login, {"username": nurse.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.url == "/worklist/"
