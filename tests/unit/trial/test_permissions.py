import pytest

from tests.factories import SiteFactory, user_with_role
from trial.models import Role
from trial.permissions import Action, is_blinded, may, sites_for

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("ACC-005")
def test_site_role_grants_action_only_at_its_site():
    # given
    s01, s02 = SiteFactory(code="S01"), SiteFactory(code="S02")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=s01)
    # then
    assert may(nurse, "snrb_peld", Action.ENTER_DATA, site=s01)
    assert not may(nurse, "snrb_peld", Action.ENTER_DATA, site=s02)
    assert list(sites_for(nurse, "snrb_peld", Action.ENTER_DATA)) == [s01]


@pytest.mark.requirement("ACC-005")
def test_trial_wide_role_reaches_every_site():
    s01, s02 = SiteFactory(code="S01"), SiteFactory(code="S02")
    manager = user_with_role(Role.DATA_MANAGER, site=None)
    assert may(manager, "snrb_peld", Action.RAISE_QUERY, site=s02)
    assert set(sites_for(manager, "snrb_peld", Action.VIEW_PARTICIPANTS)) == {s01, s02}


@pytest.mark.requirement("ACC-005")
def test_role_without_the_action_is_refused():
    statistician = user_with_role(Role.STATISTICIAN, site=None)
    assert not may(statistician, "snrb_peld", Action.ENTER_DATA)
    assert not may(statistician, "snrb_peld", Action.VIEW_IDENTIFIERS)
    assert list(sites_for(statistician, "snrb_peld", Action.ENTER_DATA)) == []


@pytest.mark.requirement("ACC-005")
def test_inactive_membership_grants_nothing():
    site = SiteFactory()
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site)
    nurse.memberships.update(is_active=False)
    nurse.refresh_from_db()
    assert not may(nurse, "snrb_peld", Action.ENTER_DATA, site=site)


@pytest.mark.requirement("BLD-001")
def test_outcome_assessor_is_blinded_and_nurse_is_not():
    site = SiteFactory()
    assert is_blinded(user_with_role(Role.OUTCOME_ASSESSOR, site=site), "snrb_peld")
    assert not is_blinded(user_with_role(Role.RESEARCH_NURSE, site=site), "snrb_peld")


@pytest.mark.requirement("BLD-001")
def test_a_blinded_role_blinds_even_beside_an_unblinded_one():
    site = SiteFactory()
    user = user_with_role(Role.OUTCOME_ASSESSOR, site=site)
    user.memberships.create(protocol_code="snrb_peld", site=site, role=Role.INVESTIGATOR)
    user.refresh_from_db()
    assert is_blinded(user, "snrb_peld")


@pytest.mark.requirement("ACC-005")
def test_anonymous_user_may_nothing(rf):
    from django.contrib.auth.models import AnonymousUser

    assert not may(AnonymousUser(), "snrb_peld", Action.VIEW_PARTICIPANTS)
