"""Hostile POSTs to every form of the product: never a server error, a refusal changes nothing.

Each page is fetched as the role that uses it, its POST forms are read from the HTML (so a
new field or form is fuzzed without touching this file) and hypothesis sends submissions
with fields missing, hostile text (NUL, control characters, very long, markup, formulas),
numbers out of range or of the wrong type, malformed dates and unknown extra fields.

* Never a 5xx.
* Refused (the form comes back with errors, or the action redirects with an error message):
  the database is exactly as before, audit trail included.
* Accepted on a case report form: the stored answers are the submitted ones as the form
  read them (nothing truncated, rounded or dropped on the way to the database).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.apps import apps
from django.contrib.messages import constants, get_messages
from django.urls import resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.factories import allocated_participant, register_participant, user_with_role
from tests.security.forms_html import PostForm, post_forms, submission
from trial.demo import demo_allocation_list
from trial.forms.registry import form_class_for
from trial.models import FormInstance, Role, Visit
from trial.protocol import get_protocol
from trial.services.crfs import crf_save
from trial.services.queries import query_raise
from trial.services.unblinding import unblinding_request_create

EXAMPLES = int(os.environ.get("EDC_FUZZ_EXAMPLES", "6"))  # per page; CI may raise it
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: the failing input is printed
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROTOCOL = get_protocol("snrb_peld")
SKIP_STATE = {"trial.allocationslot"}  # hundreds of slots: their count stands for them
SIGN_IN_EVENTS = ("login", "logout", "login_failed")  # audited by design, not data changes


def db_state() -> dict[str, Any]:
    """Every row of every trial and analysis table (slots by count), for before/after."""
    state: dict[str, Any] = {}
    for label in ("trial", "analysis", "accounts"):
        for model in apps.get_app_config(label).get_models():
            key = model._meta.label_lower
            qs = model.objects.order_by("pk")
            if key == "trial.auditevent":
                qs = qs.exclude(action__in=SIGN_IN_EVENTS)
            if key in SKIP_STATE:
                state[key] = qs.count()
            else:
                state[key] = [
                    {k: v for k, v in row.items() if k != "last_login"} for row in qs.values()
                ]
    return state


@pytest.mark.requirement("DEC-007")
class FormFuzz(TestCase):
    """One hypothesis test per page; every example runs in its own rolled-back transaction."""

    @classmethod
    def setUpTestData(cls) -> None:
        from tests.factories import SiteFactory

        site = SiteFactory(code="S01")
        cls.users = {
            "nurse": user_with_role(Role.RESEARCH_NURSE, site=site, username="fz-nurse"),
            "investigator": user_with_role(Role.INVESTIGATOR, site=site, username="fz-inv"),
            "manager": user_with_role(Role.DATA_MANAGER, site=None, username="fz-dm"),
            "statistician": user_with_role(Role.STATISTICIAN, site=None, username="fz-stat"),
        }
        nurse = cls.users["nurse"]
        cls.list_pk = demo_allocation_list(actor=cls.users["statistician"]).pk
        cls.fresh = register_participant(nurse, site).trial_id
        allocated = allocated_participant(nurse, site, arm="S")
        cls.allocated = allocated.trial_id
        visit = Visit.objects.get(participant=allocated, code="admission")
        vas = crf_save(actor=nurse, participant=allocated, form_code="vas", visit=visit,
                       complete=True, answers={"leg_vas": 7, "back_vas": 3,
                                               "assessment_date": visit.target_date})  # fmt: skip
        query_raise(actor=cls.users["manager"], form_instance=vas, field="leg_vas", text="?")
        crf_save(actor=nurse, participant=allocated, form_code="adverse_event", visit=None,
                 complete=False, answers={})  # fmt: skip
        unblinding_request_create(actor=cls.users["investigator"], participant=allocated,
                                  reason="emergency")  # fmt: skip

    def fuzz_page(self, user: str | None, url: str, data: st.DataObject) -> None:
        if user is not None:
            self.client.force_login(self.users[user])
        forms = FORMS.get((user, url))
        if forms is None:  # every example starts from the same data: read the page once
            page = self.client.get(url)
            assert page.status_code == 200, url
            forms = FORMS[(user, url)] = post_forms(page.content.decode(), url)
        assert forms, f"no POST form on {url}"
        form = data.draw(st.sampled_from(forms), label="form")
        payload = data.draw(submission(form), label="payload")
        before = db_state()
        response = self.client.post(form.action, payload)
        assert response.status_code < 500, (form.action, payload)
        if self._refused(response):
            assert db_state() == before, ("refused but changed", form.action, payload)
        elif resolve(form.action).url_name in ("crf-entry", "log-new", "log-edit"):
            self._stored_as_submitted(form, payload, response)

    def _refused(self, response: Any) -> bool:
        """A form shown again, or an action that redirects with an error message."""
        if response.status_code != 302:
            return True
        return any(m.level == constants.ERROR for m in get_messages(response.wsgi_request))

    def _stored_as_submitted(self, form: PostForm, payload: dict, response: Any) -> None:
        """The saved answers equal what the form read from the submission."""
        parts = form.action.strip("/").split("/")
        trial_id, form_code = parts[1], parts[3] if parts[2] == "visits" else parts[3]
        instances = FormInstance.objects.filter(participant__trial_id=trial_id)
        if parts[2] == "visits":
            form_code = parts[4]
            instance = instances.get(visit__code=parts[3], form_code=form_code)
        else:
            seq = int(response["Location"].rstrip("/").split("/")[-1])
            instance = instances.get(visit=None, form_code=form_code, seq=seq)
        formdef = PROTOCOL.form(form_code)
        row = apps.get_model(formdef.model).objects.get(instance=instance)
        bound = form_class_for(formdef.model)(
            payload, completing=False, participant=instance.participant, visit=instance.visit
        )
        bound.is_valid()
        for name, value in bound.cleaned_data.items():
            if name in ("revision", "reason") or not hasattr(row, name):
                continue
            assert getattr(row, name) == value, (form.action, name, payload)


PAGES: dict[str, tuple[str | None, str]] = {}
FORMS: dict[tuple[str | None, str], list[PostForm]] = {}


def _page(name: str, user: str | None, url: str) -> None:
    PAGES[name] = (user, url)


def _crf_pages() -> None:
    """Every case report form of the protocol, each at the first visit that has it."""
    seen: set[str] = set()
    for visit in PROTOCOL.visits:
        for formdef in PROTOCOL.forms_for(visit, "S"):
            if formdef.code in seen:
                continue
            seen.add(formdef.code)
            url = f"/participants/S01-0002/visits/{visit.code}/{formdef.code}/"
            _page(f"crf_{formdef.code}", "nurse", url)
    for formdef in PROTOCOL.log_forms("S"):
        _page(
            f"log_new_{formdef.code}", "nurse", f"/participants/S01-0002/logs/{formdef.code}/new/"
        )


_crf_pages()
P_NEW, P_ALLOC = "/participants/S01-0001/", "/participants/S01-0002/"
for _name, _user, _url in (
    ("login", None, "/login/"),
    ("password_change", "nurse", "/account/password/"),
    ("register", "nurse", "/participants/new/"),
    ("eligibility", "nurse", P_NEW + "eligibility/"),
    ("consent", "nurse", P_NEW + "consent/"),
    ("dates", "nurse", P_ALLOC + "dates/"),
    ("identity", "nurse", P_ALLOC + "identity/"),
    ("end", "nurse", P_ALLOC + "end/"),
    ("visit_missed", "nurse", P_ALLOC + "visits/month_3/missed/"),
    ("log_void", "nurse", P_ALLOC + "logs/adverse_event/1/void/"),
    ("randomize", "nurse", P_NEW + "randomize/"),
    ("query_answer", "nurse", P_ALLOC + "visits/admission/vas/"),
    ("unblinding_request", "investigator", P_ALLOC + "unblinding/"),
    ("review_sign", "investigator", P_ALLOC + "visits/admission/vas/"),
    ("casebook_sign", "investigator", P_ALLOC),
    ("review_manager", "manager", P_ALLOC + "visits/admission/vas/"),
    ("casebook_lock", "manager", P_ALLOC),
    ("database_lock", "manager", "/data/lock/"),
    ("data_cut", "manager", "/data/releases/"),
    ("allocation_generate", "statistician", "/allocation/generate/"),
    ("allocation_upload", "statistician", "/allocation/upload/"),
    ("allocation_minimization", "statistician", "/allocation/minimization/"),
    ("report_start", "statistician", "/reports/"),
    ("unblinding_decide", "statistician", "/unblinding/"),
):
    _page(_name, _user, _url)


def _make_test(user: str | None, url: str):
    @FUZZ
    @given(data=st.data())
    def test(self: FormFuzz, data: st.DataObject) -> None:
        self.fuzz_page(user, url, data)

    return test


for _name, (_user, _url) in PAGES.items():
    setattr(FormFuzz, f"test_{_name}", _make_test(_user, _url))
