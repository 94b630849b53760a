"""One discovery mechanism: every app's ``contributions`` module, merged by code."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

import scoring
from analysis.plans import PLANS
from rehab_ldh.plan import REHAB_LDH_PLAN
from rehab_ldh.protocol import REHAB_LDH
from trial import discovery
from trial.edit_checks.registry import has_edit_check
from trial.forms.clinical import BaselineForm
from trial.forms.registry import form_class_for
from trial.protocol import get_protocol, protocols
from trial.protocol.snrb_peld import SNRB_PELD
from trial.services.derivations import derive


def test_the_seed_trial_is_discovered_from_the_trial_apps_contributions() -> None:
    assert get_protocol("snrb_peld") is SNRB_PELD
    assert discovery.source("protocols", "snrb_peld") == "trial.contributions"


def test_the_second_trial_is_discovered_from_its_own_apps_contributions() -> None:
    assert get_protocol("rehab_ldh") is REHAB_LDH
    assert protocols() == (SNRB_PELD, REHAB_LDH)  # in app order (INSTALLED_APPS)
    for kind in ("protocols", "analysis_plans", "demo_answers", "demo_loaders"):
        assert discovery.source(kind, "rehab_ldh") == "rehab_ldh.contributions"
    assert has_edit_check("rehab_ldh.AdherenceData")


def test_pure_packages_are_handed_on_by_the_django_side() -> None:
    assert dict(discovery.contributions("instruments")) == dict(scoring.INSTRUMENTS)
    # the seed's plan from the pure package, the second trial's from its own app
    assert dict(discovery.contributions("analysis_plans")) == {
        **PLANS,
        "rehab_ldh": REHAB_LDH_PLAN,
    }
    assert discovery.source("analysis_plans", "snrb_peld") == "analysis.contributions"


def test_an_unknown_code_names_the_known_ones() -> None:
    with pytest.raises(
        LookupError, match="no protocols 'no_such_trial'; known: \\['rehab_ldh', 'snrb_peld'\\]"
    ):
        get_protocol("no_such_trial")


def test_form_model_labels_are_matched_as_django_compares_them() -> None:
    assert form_class_for("trial.BaselineData") is BaselineForm
    assert form_class_for("trial.baselinedata") is BaselineForm
    assert has_edit_check("trial.BaselineData")
    assert not has_edit_check("trial.PainVasData")
    assert derive("trial.BaselineData", {"height_cm": 170, "weight_kg": 65}, None) == {"bmi": 22.5}
    assert derive("trial.PainVasData", {"leg_vas": 3}, None) == {}


def test_a_code_contributed_twice_is_refused_with_both_sources() -> None:
    one = SimpleNamespace(PROTOCOLS={"snrb_peld": SNRB_PELD})
    two = SimpleNamespace(PROTOCOLS={"snrb_peld": SNRB_PELD})
    with pytest.raises(discovery.DuplicateContribution, match="by one.contributions and by two"):
        discovery.merge({"one.contributions": one, "two.contributions": two})


def test_model_labels_differing_only_in_case_are_one_code() -> None:
    one = SimpleNamespace(ENTRY_FORMS={"trial.BaselineData": BaselineForm})
    two = SimpleNamespace(EDIT_CHECKS={}, ENTRY_FORMS={"trial.baselinedata": BaselineForm})
    with pytest.raises(discovery.DuplicateContribution, match="entry_forms 'trial.baselinedata'"):
        discovery.merge({"one": one, "two": two})


def test_the_shipped_contributions_pass_the_system_check() -> None:
    assert discovery.check_contributions() == []


def test_the_system_check_finds_contributions_that_do_not_fit(monkeypatch) -> None:
    scored = next(f for f in SNRB_PELD.forms if f.instrument)
    forms = tuple(
        replace(f, instrument="no_such_instrument") if f is scored else f for f in SNRB_PELD.forms
    )
    broken = SimpleNamespace(
        PROTOCOLS={"other": replace(SNRB_PELD, code="other", forms=forms)},
        INSTRUMENTS=scoring.INSTRUMENTS,
        ENTRY_FORMS={"trial.nosuchdata": BaselineForm},
        ANALYSIS_PLANS={"third": PLANS["snrb_peld"]},
    )
    found, sources = discovery.merge({"broken.contributions": broken})
    monkeypatch.setattr(discovery, "_found", found)
    monkeypatch.setattr(discovery, "_sources", sources)
    ids = sorted(error.id for error in discovery.check_contributions())
    assert ids == ["trial.E001", "trial.E003", "trial.E004"]
