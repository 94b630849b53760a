"""One discovery mechanism for everything an app contributes to a trial, keyed by code.

Every installed app may have a ``contributions`` module (``trial/contributions.py``,
``analysis/contributions.py``, ...). It declares plain module-level mappings, one per kind
below, from a code to the contributed object, and does nothing else on import::

    PROTOCOLS = {"snrb_peld": SNRB_PELD}            # protocol code -> Protocol
    ENTRY_FORMS = {"trial.baselinedata": BaselineForm}  # FormDef.model -> Django form

:func:`discover` imports them all with Django's ``autodiscover_modules`` (called from
``TrialConfig.ready``) and merges them; a code contributed twice, by one app or by two, is
refused with both sources named. Pure packages (``scoring``, ``analysis.plans``) stay free
of Django: they export a plain mapping, and an app's ``contributions`` module hands it on.

The registry is read through the lookups of each area (``trial.protocol.get_protocol``,
``trial.forms.registry.form_class_for``, ``trial.edit_checks.registry.edit_check_run``,
``trial.services.derivations.derive``), so callers never see this module.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules, module_has_submodule

MODULE = "contributions"

# kind -> the module-level name a contributions module declares it under
KINDS: dict[str, str] = {
    "protocols": "PROTOCOLS",  # protocol code -> trial.protocol.Protocol
    "instruments": "INSTRUMENTS",  # instrument name -> scoring.Instrument
    "entry_forms": "ENTRY_FORMS",  # form model label (FormDef.model) -> CrfForm subclass
    "edit_checks": "EDIT_CHECKS",  # form model label -> trial.edit_checks.registry.EditCheck
    "derivations": "DERIVATIONS",  # form model label -> derivation function
    "analysis_plans": "ANALYSIS_PLANS",  # protocol code -> analysis.plans.AnalysisPlan
    # protocol code -> (form_code, participant, visit_code, rng) -> answers, or None for the
    # generic demo answers (trial.demo.sample_answers)
    "demo_answers": "DEMO_ANSWERS",
    # protocol code -> f(*, actor, statistician, sites): loads the trial's demo data, as the
    # demo nurse, with lists made by the demo statistician (manage.py demo_setup)
    "demo_loaders": "DEMO_LOADERS",
}
# kinds keyed by a model label, compared in lower case as Django's label_lower is
_LABEL_KINDS = frozenset({"entry_forms", "edit_checks", "derivations"})

Found = dict[str, dict[str, Any]]  # kind -> code -> contribution
Sources = dict[tuple[str, str], str]  # (kind, code) -> the contributing module

_found: Found | None = None
_sources: Sources = {}


class DuplicateContribution(ImproperlyConfigured):
    """Two contributions of one kind under one code."""


def _key(kind: str, code: str) -> str:
    return code.lower() if kind in _LABEL_KINDS else code


def merge(modules: Mapping[str, Any]) -> tuple[Found, Sources]:
    """Merge the declarations of ``modules`` (source name -> module) into one registry."""
    found: Found = {kind: {} for kind in KINDS}
    sources: Sources = {}
    for source, module in modules.items():
        for kind, attribute in KINDS.items():
            for code, item in getattr(module, attribute, {}).items():
                key = _key(kind, code)
                if key in found[kind]:
                    raise DuplicateContribution(
                        f"{kind} {code!r} is contributed by {sources[kind, key]} and by {source}"
                    )
                found[kind][key] = item
                sources[kind, key] = source
    return found, sources


def _contribution_modules() -> dict[str, Any]:
    autodiscover_modules(MODULE)
    modules = {}
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, MODULE):
            name = f"{config.name}.{MODULE}"
            modules[name] = sys.modules[name]
    return modules


def discover() -> None:
    """Import every app's ``contributions`` module and build the registry (idempotent)."""
    global _found, _sources
    if _found is None:
        _found, _sources = merge(_contribution_modules())


def contributions(kind: str) -> Mapping[str, Any]:
    """Return the read-only mapping code -> contribution of ``kind``, in app order."""
    if _found is None:
        if not apps.ready:
            raise AppRegistryNotReady(f"{kind} are discovered when the apps are ready")
        discover()
    assert _found is not None
    return MappingProxyType(_found[kind])


def contribution(kind: str, code: str) -> Any:
    """Return the contribution of ``kind`` under ``code``; ``LookupError`` names the known."""
    found = contributions(kind)
    try:
        return found[_key(kind, code)]
    except KeyError:
        raise LookupError(f"no {kind} {code!r}; known: {sorted(found)}") from None


def source(kind: str, code: str) -> str:
    """Return the contributions module that contributed ``code`` (for messages and checks)."""
    contributions(kind)
    return _sources[kind, _key(kind, code)]


def check_contributions(**kwargs: Any) -> list[Any]:
    """Django system check: the contributions fit together (run by ``manage.py check``).

    Every form model a contribution or a protocol names is installed, every instrument a
    protocol names is contributed, and every analysis plan belongs to a known protocol.
    """
    errors: list[Any] = []

    def error(message: str, number: int) -> None:
        errors.append(checks.Error(message, id=f"trial.E{number:03d}"))

    for kind in sorted(_LABEL_KINDS):
        for label in contributions(kind):
            try:
                apps.get_model(label)
            except (LookupError, ValueError):
                error(f"{kind} {label!r} ({source(kind, label)}) names no installed model", 1)
    instruments = contributions("instruments")
    for protocol in contributions("protocols").values():
        for formdef in protocol.forms:
            try:
                apps.get_model(formdef.model)
            except (LookupError, ValueError):
                error(f"protocol {protocol.code!r} form {formdef.code!r} names no installed "
                      f"model {formdef.model!r}", 2)  # fmt: skip
            if formdef.instrument and formdef.instrument not in instruments:
                error(f"protocol {protocol.code!r} form {formdef.code!r} names no contributed "
                      f"instrument {formdef.instrument!r}", 3)  # fmt: skip
    # participant ids are unique across the instance: one trial numbers without a prefix
    prefixes = [p.participant_id_prefix for p in contributions("protocols").values()]
    if len(prefixes) != len(set(prefixes)):
        error(f"two protocols write participant ids alike (prefixes {sorted(prefixes)}): "
              f"give each its own participant_id_prefix", 5)  # fmt: skip
    for kind in ("analysis_plans", "demo_answers", "demo_loaders"):
        for code in contributions(kind):
            if code not in contributions("protocols"):
                error(f"{kind} {code!r} ({source(kind, code)}) belongs to no contributed "
                      f"protocol", 4)  # fmt: skip
    return errors
