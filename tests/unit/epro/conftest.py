"""A participant at the 3-month visit, its window open today, year of birth recorded."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.models import Role, Visit
from trial.services.crfs import crf_save

BIRTH_YEAR = "1968"


def epro_participant(nurse, site, *, arm="S", birth=datetime.date(1968, 5, 2)):
    """Return a participant 90 days after surgery (month-3 window open), baseline dated."""
    today = timezone.localdate()
    participant = allocated_participant(
        nurse,
        site,
        arm=arm,
        admission_date=today - datetime.timedelta(days=93),
        surgery_date=today - datetime.timedelta(days=90),
    )
    admission = Visit.objects.get(participant=participant, code="admission")
    if birth is not None:
        crf_save(
            actor=nurse,
            participant=participant,
            visit=admission,
            form_code="baseline",
            answers={"assessment_date": participant.admission_date, "date_of_birth": birth},
            complete=False,
        )
    return participant


def month_3(participant) -> Visit:
    return Visit.objects.select_related("participant__site").get(
        participant=participant, code="month_3"
    )


@pytest.fixture
def site(db):
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site)


@pytest.fixture
def participant(nurse, site):
    return epro_participant(nurse, site)


@pytest.fixture
def visit(participant):
    return month_3(participant)


VAS_PAGE = {"leg_vas": "6.5", "back_vas": "3.0"}
ODI_PAGE = {f"odi_{i}": "1" for i in range(1, 11)}
SF36_PAGE = {f"sf36_{i}": "1" for i in range(1, 37)}
PAGES = {"vas": VAS_PAGE, "odi": ODI_PAGE, "sf36": SF36_PAGE}
