"""The staff side of ePRO: a nurse, a participant at the 3-month visit (window open, year of
birth and e-mail recorded), helpers to issue and submit through the ePRO services."""

import pytest

from epro import services
from tests.factories import SiteFactory, user_with_role
from tests.unit.epro.conftest import PAGES, epro_participant, month_3
from trial.models import Role

EMAIL = "patient@example.org"


def with_email(participant, address=EMAIL):
    identity = participant.personal_data
    identity.email = address
    identity.save(update_fields=["email"])
    participant.refresh_from_db()
    return participant


def submitted(participant, nurse):
    """Issue the 3-month invitation and submit every page as the participant; return it."""
    invitation, _token = services.invitation_issue(
        participant=participant, visit=month_3(participant), actor=nurse
    )
    for code in invitation.form_codes:
        services.page_save(invitation=invitation, form_code=code, data=PAGES[code])
    return services.invitation_submit(invitation=invitation, user_agent="test-browser")


@pytest.fixture
def site(db):
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


@pytest.fixture
def participant(nurse, site):
    return with_email(epro_participant(nurse, site))


@pytest.fixture
def visit(participant):
    return month_3(participant)
