import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from trial.models import Membership, Role, Site

DEFAULT_PASSWORD = "correct-horse-battery-42"
SEED = "snrb_peld"  # the shipped trial's protocol code: tests' roles and participants are in it


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n + 1:02d}")
    name = factory.LazyAttribute(lambda o: f"Hospital {o.code}")
    name_zh = factory.LazyAttribute(lambda o: f"{o.code} 医院")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    site = factory.SubFactory(SiteFactory)
    protocol_code = SEED
    role = Role.RESEARCH_NURSE


def user_with_role(
    role: str,
    *,
    site: Site | None,
    username: str | None = None,
    protocol_code: str = SEED,
    **kwargs,
):
    """Create a user holding ``role`` in the trial ``protocol_code`` at ``site`` (at every
    site when ``site`` is None)."""
    user = UserFactory(**({"username": username} if username else {}), **kwargs)
    Membership.objects.create(user=user, protocol_code=protocol_code, site=site, role=role)
    return user


def register_participant(
    actor, site, *, registration_date=None, surgery_date=None, protocol_code=SEED, **kwargs
):
    """Register a patient of the trial ``protocol_code`` through the service, as a nurse
    would (``registration_date`` dates its registration anchors; ``surgery_date``: the
    seed's planned surgery, entered on the dates page)."""

    from trial.services.participants import participant_register, participant_set_dates

    today = timezone.localdate()
    participant = participant_register(
        actor=actor,
        protocol_code=protocol_code,
        site=site,
        screening_date=kwargs.pop("screening_date", today),
        registration_date=registration_date,
        full_name=kwargs.pop("full_name", "Zhang San"),
        phone=kwargs.pop("phone", "13800000000"),
        hospital_number=kwargs.pop("hospital_number", "H0001"),
    )
    if surgery_date:
        participant = participant_set_dates(
            actor=actor, participant=participant, surgery_date=surgery_date
        )
    return participant


def consented_participant(actor, site, *, admission_date=None, surgery_date=None):
    """A participant taken through eligibility and consent by the services."""
    from trial.protocol import get_protocol
    from trial.services.consent import consent_record
    from trial.services.eligibility import eligibility_record

    participant = register_participant(
        actor, site, registration_date=admission_date, surgery_date=surgery_date
    )
    protocol = get_protocol(participant.protocol_code)
    eligibility_record(
        actor=actor,
        participant=participant,
        assessed_date=admission_date,
        answers={c.code: c.kind == "inclusion" for c in protocol.criteria},
    )
    consent_record(
        actor=actor,
        participant=participant,
        version=protocol.consent_versions[0],
        consent_date=admission_date,
        obtained_by=actor,
    )
    participant.refresh_from_db()
    return participant


def allocated_participant(actor, site, *, arm="S", admission_date=None, surgery_date=None):
    """A participant taken through eligibility, consent and allocation by the services."""
    from trial.services.randomization import allocation_record

    today = timezone.localdate()
    admission_date = admission_date or today - datetime.timedelta(days=5)
    surgery_date = surgery_date or admission_date + datetime.timedelta(days=3)
    participant = consented_participant(
        actor, site, admission_date=admission_date, surgery_date=surgery_date
    )
    allocation_record(
        actor=actor, participant=participant, arm=arm, randomization_number=f"R{participant.pk:04d}"
    )
    participant.refresh_from_db()
    return participant


def completed_form(actor, participant, visit_code, form_code, *, seed=3):
    """A visit form saved as complete through the service, with plausible answers."""
    import random

    from trial.demo import sample_answers
    from trial.models import Visit
    from trial.services.crfs import crf_save

    answers = sample_answers(form_code, participant, visit_code=visit_code, rng=random.Random(seed))
    return crf_save(
        actor=actor,
        participant=participant,
        form_code=form_code,
        visit=Visit.objects.get(participant=participant, code=visit_code),
        answers=answers,
        complete=True,
    )
