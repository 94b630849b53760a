"""The blinding policy: what a user may see of a participant, and in what form.

One place answers, for a user and a thing (visit, form, field, log entry, free text, query,
audit row, export column, API field, count), whether it may be seen. Pages, selectors,
POST handlers, the API and the release code ask here; none decides on its own.

What reveals the arm is declared by the protocol (``trial/protocol/``), never restated:

* arm-only visits and forms (``VisitDef.arms``, ``FormDef.arms``): a blinded user is told
  they do not exist, for every participant, exactly as for a participant of another arm
  (same 404, same counts, same lists);
* ``FormDef.blinded_fields``: answers that name the intervention (an adverse event
  "related to the block"): never shown, never editable, masked in the history;
* ``FormDef.free_text_fields``: free text may carry what the protocol cannot foresee
  ("ropivacaine + dexamethasone (SNRB)", "pain after block"). Blinded users read it only in
  the wording an unblinded site user reviewed for them (an audited write,
  ``trial.services.blinding``), and only while the entry is at the revision reviewed. Until
  then, and after any later edit, the text is masked. The masking depends on the review
  alone, never on the text or the arm, so it is the same for both arms.

Which roles are blinded is protocol configuration (``Protocol.blinded_roles``); an approved
emergency unblinding request lifts the blinding of one participant's allocation only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from trial.permissions import is_blinded
from trial.protocol import FormDef, Protocol, VisitDef, get_protocol

MASK = "•••"  # what a blinded user reads in place of a withheld value
# Audit rows whose changes would reveal an allocation to a blinded reader.
ARM_REVEALING_TYPES = ("trial.allocation", "trial.allocationslot", "trial.unblindingrequest")


@dataclass(frozen=True, slots=True)
class BlindingPolicy:
    """The blinding of one user (``blinded``) under one protocol."""

    protocol: Protocol
    blinded: bool

    # VISITS AND FORMS (protocol-declared arm-only things)
    def shows_visit(self, visit: VisitDef | str) -> bool:
        """Return whether the user may know this visit exists (for any participant)."""
        if isinstance(visit, str):
            visit = next((v for v in self.protocol.visits if v.code == visit), None)
            if visit is None:
                return True  # not hidden by blinding (whether it exists is asked elsewhere)
        return not (self.blinded and visit.arms is not None)

    def shows_form(self, form: FormDef | str) -> bool:
        """Return whether the user may know this form exists (for any participant)."""
        if isinstance(form, str):
            form = next((f for f in self.protocol.forms if f.code == form), None)
            if form is None:
                return True  # not a protocol form (enrolment, derived columns)
        return not (self.blinded and form.arms is not None)

    def hidden_form_codes(self) -> frozenset[str]:
        return frozenset(f.code for f in self.protocol.forms if not self.shows_form(f))

    def hidden_visit_codes(self) -> frozenset[str]:
        return frozenset(v.code for v in self.protocol.visits if not self.shows_visit(v))

    def visits(self, visits: Iterable[VisitDef] | None = None) -> tuple[VisitDef, ...]:
        return tuple(v for v in (visits or self.protocol.visits) if self.shows_visit(v))

    def forms(self, forms: Iterable[FormDef] | None = None) -> tuple[FormDef, ...]:
        return tuple(f for f in (forms or self.protocol.forms) if self.shows_form(f))

    def visit_forms(self, visit: VisitDef, arm: str | None) -> tuple[FormDef, ...]:
        """Return the forms of ``visit`` for a participant of ``arm`` the user may see."""
        return self.forms(self.protocol.forms_for(visit, arm)) if self.shows_visit(visit) else ()

    def log_forms(self, arm: str | None) -> tuple[FormDef, ...]:
        return self.forms(self.protocol.log_forms(arm))

    # FIELDS AND FREE TEXT
    def hidden_fields(self, form: FormDef) -> tuple[str, ...]:
        """Return the answers of ``form`` the user may neither read nor edit."""
        return form.blinded_fields if self.blinded else ()

    def masked_texts(self, form: FormDef, instance: Any) -> tuple[str, ...]:
        """Return the free-text answers of an existing entry withheld from the user's form.

        Blinded users never edit stored free text (they could not see what they replace);
        they read the reviewed wording (:meth:`text`) instead. A new entry hides nothing.
        """
        if not self.blinded or instance is None:
            return ()
        return form.free_text_fields

    def text(self, form: FormDef, instance: Any, field: str, value: Any) -> Any:
        """Return ``value`` of ``field`` as the user may read it on this entry."""
        if not self.blinded:
            return value
        if field in form.blinded_fields:
            return MASK if value not in (None, "") else value
        if field not in form.free_text_fields or value in (None, ""):
            return value
        if text_review_current(instance):
            return instance.blinded_texts.get(field, MASK)
        return MASK

    def reviewed_texts(self, form: FormDef, instance: Any, data: Any) -> list[tuple[str, Any]]:
        """Return (field, readable text) of an entry's free text, for a read-only display."""
        if instance is None or data is None or not form.free_text_fields:
            return []
        return [
            (name, self.text(form, instance, name, getattr(data, name, "")))
            for name in form.free_text_fields
        ]

    def columns_hidden(self) -> set[tuple[str, str]]:
        """Return the (form, field) pairs a blinded export leaves out entirely.

        Exports hold no per-entry review, so free text goes with the blinded answers.
        """
        if not self.blinded:
            return set()
        return {
            (f.code, name)
            for f in self.protocol.forms
            for name in (*f.blinded_fields, *f.free_text_fields)
        }

    def column_visible(self, form: str, field: str) -> bool:
        """Return whether an export or API column (form, field) may reach the user."""
        return self.shows_form(form) and (form, field) not in self.columns_hidden()

    # QUERYSETS AND COUNTS
    def form_instances(self, qs: QuerySet, prefix: str = "") -> QuerySet:
        """Return ``qs`` (of form instances, or rows reaching them via ``prefix``) without
        the entries of forms the user may not know of; counts made from it match both arms."""
        hidden = self.hidden_form_codes()
        return qs.exclude(**{f"{prefix}form_code__in": hidden}) if hidden else qs

    def queries(self, qs: QuerySet) -> QuerySet:
        """Return queries without those on hidden forms or on blinded answers."""
        qs = self.form_instances(qs, prefix="form_instance__")
        if not self.blinded:
            return qs
        hidden = Q()
        for form in self.protocol.forms:
            if form.blinded_fields:
                hidden |= Q(form_instance__form_code=form.code, field__in=form.blinded_fields)
        return qs.exclude(hidden) if hidden else qs

    def shows_query(self, query: Any) -> bool:
        form = query.form_instance.form_code
        if not self.shows_form(form):
            return False
        formdef = self.protocol.form(form)
        return not (self.blinded and query.field in formdef.blinded_fields)

    def shows_instance(self, instance: Any) -> bool:
        if not self.shows_form(instance.form_code):
            return False
        return instance.visit_id is None or self.shows_visit(instance.visit.code)

    def change_condition(self) -> Q:
        """Return a filter on form instances' changes that a user may know happened."""
        hidden = self.hidden_form_codes()
        return ~Q(form_code__in=hidden) if hidden else Q()

    # AUDIT
    def audit_rows(self, qs: QuerySet) -> QuerySet:
        """Return audit rows without those about hidden visits, forms and their queries."""
        if not self.blinded:
            return qs
        hidden = Q()
        for code in self.hidden_form_codes():  # "<trial id> <visit|log> <form> #<seq>"
            hidden |= Q(
                object_type__in=("trial.forminstance", "trial.query"),
                object_repr__contains=f" {code} #",
            )
        for code in self.hidden_visit_codes():  # "<trial id> <visit>"
            hidden |= Q(object_type="trial.visit", object_repr__endswith=f" {code}")
        return qs.exclude(hidden) if hidden else qs

    def audit_changes(self, event: Any, form: FormDef | None = None) -> dict[str, Any]:
        """Return the event's changes as the user may read them (masked, never altered)."""
        changes = event.changes or {}
        if not self.blinded:
            return changes
        if event.object_type in ARM_REVEALING_TYPES:
            return {name: [MASK, MASK] for name in changes}
        if form is None and event.object_type == "trial.forminstance":
            form = self._form_of_repr(event.object_repr)
        if form is None:
            return changes
        if not self.shows_form(form):
            return {name: [MASK, MASK] for name in changes}
        masked = set(form.blinded_fields) | set(form.free_text_fields)
        return {name: [MASK, MASK] if name in masked else v for name, v in changes.items()}

    def _form_of_repr(self, text: str) -> FormDef | None:
        parts = (text or "").split(" ")  # "<trial id> <visit|log> <form> #<seq>"
        code = parts[2] if len(parts) > 2 else ""
        return next((f for f in self.protocol.forms if f.code == code), None)


def visit_status_forms(protocol: Protocol, visit: VisitDef, arm: str | None) -> tuple[FormDef, ...]:
    """Return the forms a visit's status (done or not) is made of: those of the visit that
    every arm the visit is for is asked.

    A visit's status is read by everyone, blinded readers included (the grid, the worklist,
    counts, completeness, exports). A form only some of the visit's arms are asked (one
    arm's adherence form inside a visit of every arm) would otherwise keep the visit open
    for that arm alone: a visit still due while every form a blinded reader sees is
    complete names the arm. Such a form is followed form by form instead (its grid cell
    and form counts, for the readers who may see it).
    """
    covered = visit.arms or frozenset(a.code for a in protocol.arms)
    return tuple(f for f in protocol.forms_for(visit, arm) if f.arms is None or covered <= f.arms)


def text_review_current(instance: Any) -> bool:
    """Return whether the entry's reviewed wording is for its current revision."""
    return (
        instance is not None
        and instance.blinded_texts_revision is not None
        and instance.blinded_texts_revision == instance.revision
    )


def policy_for(user: Any, protocol_code: str) -> BlindingPolicy:
    """Return the user's blinding policy in the trial ``protocol_code`` (kept on the user
    for the request): blinded by that trial's blinded roles, whatever they hold elsewhere."""
    code = protocol_code
    cache = getattr(user, "_edc_blinding", None)
    if cache is None:
        cache = {}
        if user is not None:
            try:
                user._edc_blinding = cache
            except AttributeError:
                pass
    if code not in cache:
        cache[code] = BlindingPolicy(get_protocol(code), bool(user) and is_blinded(user, code))
    return cache[code]


def blinded_policy(protocol: Protocol) -> BlindingPolicy:
    """Return the policy of any blinded reader (blinded exports, the blinded release)."""
    return BlindingPolicy(protocol, True)
