"""Concealed allocation: lists (generated, uploaded or minimization), sealing, randomizing."""

import random
import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trial.allocation import (
    AllocationListSpec,
    AllocationUploadError,
    Slot,
    commitment,
    generate_permuted_blocks,
    minimization_assign,
    parse_allocation_csv,
)
from trial.exceptions import AlreadyAllocated, InvalidTransition, TrialError
from trial.locks import (
    allocation_list_qs_for_update,
    participant_qs_for_update,
    stratum_qs_for_update,
)
from trial.models import (
    Allocation,
    AllocationList,
    AllocationSlot,
    AllocationStratum,
    AuditEvent,
    FormInstance,
    Participant,
)
from trial.protocol import AnchorEvent, Protocol, get_protocol
from trial.selectors.randomization import participant_levels, stratum_keys
from trial.services.anchors import anchor_event_record
from trial.services.audit import audit_record
from trial.services.locks import data_entry_allowed
from trial.services.visits import visit_schedule_sync


class UploadInvalid(TrialError):
    code = "allocation_upload_invalid"

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        super().__init__()


def _store_slots(allocation_list: AllocationList, slots: tuple[Slot, ...]) -> None:
    strata = {}
    for key in sorted({s.stratum for s in slots}):
        strata[key] = AllocationStratum.objects.create(allocation_list=allocation_list, key=key)
    AllocationSlot.objects.bulk_create(
        AllocationSlot(
            stratum=strata[s.stratum],
            sequence=s.sequence,
            block=s.block,
            arm=s.arm,
            randomization_number=s.randomization_number,
        )
        for s in slots
    )


def _create_list(
    actor: Any, protocol: Protocol, name: str, method: str, factors: list[str], **fields: Any
) -> AllocationList:
    allocation_list = AllocationList.objects.create(
        protocol_code=protocol.code,
        name=name,
        method=method,
        factors=factors,
        arms=fields.pop("arms", [a.code for a in protocol.arms]),
        created_by=actor,
        **fields,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=allocation_list,
        changes={
            "method": (None, method),
            "factors": (None, factors),
            "seed": (None, allocation_list.seed),
        },
    )
    return allocation_list


@transaction.atomic(durable=True)
def allocation_list_generate(
    *,
    actor: Any,
    protocol_code: str,
    name: str,
    factors: list[str],
    block_sizes: list[int],
    slots_per_stratum: int,
    ratio: list[int] | None = None,
    seed: int | None = None,
) -> AllocationList:
    """Generate a permuted-block list with random block sizes; the seed is recorded.

    ``ratio``: one whole number per arm; the protocol's allocation ratio when not given.
    """
    protocol = get_protocol(protocol_code)
    ratio = list(ratio) if ratio is not None else list(protocol.allocation_ratio)
    seed = seed if seed is not None else secrets.randbits(48)
    arms = [a.code for a in protocol.arms]
    try:
        spec = generate_permuted_blocks(
            arms=arms,
            ratio=ratio,
            block_sizes=block_sizes,
            strata=stratum_keys(protocol, factors),
            slots_per_stratum=slots_per_stratum,
            seed=seed,
        )
    except ValueError as exc:
        raise TrialError(
            _("The list parameters are not valid: %(error)s") % {"error": exc},
            code="allocation_parameters_invalid",
        ) from exc
    allocation_list = _create_list(
        actor,
        protocol,
        name,
        AllocationList.Method.PERMUTED_BLOCKS,
        factors,
        ratio=ratio,
        block_sizes=block_sizes,
        seed=seed,
    )
    _store_slots(allocation_list, spec.slots)
    return allocation_list


@transaction.atomic(durable=True)
def allocation_list_upload(
    *, actor: Any, protocol_code: str, name: str, factors: list[str], csv_text: str
) -> AllocationList:
    """Store an uploaded list after checking every line; any defect refuses it whole."""
    protocol = get_protocol(protocol_code)
    arms = [a.code for a in protocol.arms]
    try:
        spec = parse_allocation_csv(csv_text, arms=arms, strata=stratum_keys(protocol, factors))
    except AllocationUploadError as exc:
        raise UploadInvalid(exc.problems) from exc
    allocation_list = _create_list(
        actor,
        protocol,
        name,
        AllocationList.Method.UPLOADED,
        factors,
        ratio=list(spec.ratio),
        block_sizes=list(spec.block_sizes),
    )
    _store_slots(allocation_list, spec.slots)
    return allocation_list


@transaction.atomic(durable=True)
def allocation_list_create_minimization(
    *,
    actor: Any,
    protocol_code: str,
    name: str,
    factors: list[str],
    p_best: float,
    seed: int | None = None,
) -> AllocationList:
    """Set up Pocock-Simon minimization over ``factors`` with a random element, at the
    protocol's allocation ratio (unequal ratios: Kuznetsova and Tymofyeyev's
    ratio-preserving virtual arms, ``trial.allocation.minimization``)."""
    if not factors:
        raise TrialError(
            _("Minimization needs at least one factor."), code="minimization_needs_factors"
        )
    if not 0.5 <= p_best <= 1.0:
        raise TrialError(
            _("The probability must lie between 0.5 and 1."), code="minimization_bad_probability"
        )
    seed = seed if seed is not None else secrets.randbits(48)
    protocol = get_protocol(protocol_code)
    return _create_list(
        actor,
        protocol,
        name,
        AllocationList.Method.MINIMIZATION,
        factors,
        ratio=list(protocol.allocation_ratio),
        p_best=p_best,
        seed=seed,
    )


def allocation_list_spec(allocation_list: AllocationList) -> AllocationListSpec:
    """Rebuild the list's specification from its stored slots (for sealing and checking)."""
    slots = tuple(
        Slot(
            stratum=s.stratum.key,
            sequence=s.sequence,
            block=s.block,
            arm=s.arm,
            randomization_number=s.randomization_number,
        )
        for s in AllocationSlot.objects.filter(stratum__allocation_list=allocation_list)
        .select_related("stratum")
        .order_by("stratum__key", "sequence")
    )
    return AllocationListSpec(
        method=allocation_list.method,
        arms=tuple(allocation_list.arms),
        ratio=tuple(allocation_list.ratio),
        block_sizes=tuple(allocation_list.block_sizes),
        seed=allocation_list.seed,
        strata=tuple(sorted({s.stratum for s in slots})),
        slots=slots,
    )


@transaction.atomic(durable=True)
def allocation_list_activate(*, actor: Any, allocation_list: AllocationList) -> AllocationList:
    """Seal a draft list: store its SHA-256 commitment; from now on it never changes."""
    locked = allocation_list_qs_for_update(allocation_list.pk).get()
    if locked.status != AllocationList.Status.DRAFT:
        raise InvalidTransition()
    if AllocationList.objects.filter(
        protocol_code=locked.protocol_code, status=AllocationList.Status.ACTIVE
    ).exists():
        raise TrialError(
            _("Another list is active. A trial uses one sealed list at a time."),
            code="another_list_active",
        )
    locked.commitment = commitment(allocation_list_spec(locked))
    locked.status, locked.activated_by = AllocationList.Status.ACTIVE, actor
    locked.activated_at = timezone.now()
    locked.save(update_fields=["commitment", "status", "activated_by", "activated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        changes={"status": ("draft", "active"), "commitment": ("", locked.commitment)},
    )
    return locked


def allocation_list_verify(allocation_list: AllocationList) -> bool:
    """Return whether the stored slots still match the commitment made at activation."""
    return (
        bool(allocation_list.commitment)
        and commitment(allocation_list_spec(allocation_list)) == allocation_list.commitment
    )


def pre_randomization_incomplete(protocol_code: str) -> str:
    """Say which forms are missing: those of the visits before randomization, named by the
    protocol's visit labels (first letter in lower case, mid-sentence)."""
    labels = [str(v.label) for v in get_protocol(protocol_code).visits if v.before_randomization]
    visits = " / ".join(label[:1].lower() + label[1:] for label in labels)
    return _("Complete every %(visit)s form before randomizing.") % {"visit": visits}


NO_ACTIVE_LIST = gettext_lazy("No sealed allocation list is active. Ask the statistician.")


def _pre_randomization_complete(participant: Participant) -> bool:
    protocol = get_protocol(participant.protocol_code)
    needed = {(visit.code, form.code) for visit, form in protocol.pre_randomization_forms()}
    done = set(
        FormInstance.objects.filter(
            participant=participant,
            status=FormInstance.Status.COMPLETE,
            is_voided=False,
            visit__isnull=False,
        ).values_list("visit__code", "form_code")
    )
    return needed <= done


def _no_active_list(protocol_code: str) -> bool:
    return not AllocationList.objects.filter(
        protocol_code=protocol_code, status=AllocationList.Status.ACTIVE
    ).exists()


def randomization_blockers(participant: Participant) -> list[str]:
    """Return why ``participant_randomize`` would refuse this participant now (empty: it
    would not), from the same checks, so that pages offer the action only when it holds."""
    if Allocation.objects.filter(participant=participant).exists():
        return [str(_("Already randomized."))]
    reasons = []
    if participant.status != Participant.Status.CONSENTED:
        reasons.append(str(_("Eligibility and consent must be recorded first.")))
    if not _pre_randomization_complete(participant):
        reasons.append(pre_randomization_incomplete(participant.protocol_code))
    if _no_active_list(participant.protocol_code):
        reasons.append(str(NO_ACTIVE_LIST))
    return reasons


def _take_slot(
    allocation_list: AllocationList, key: str, participant: Participant
) -> AllocationSlot:
    stratum = stratum_qs_for_update(allocation_list.pk, key).first()
    if stratum is None:
        raise TrialError(
            _("This participant's stratum is not in the allocation list."),
            code="stratum_not_in_list",
        )
    slot = (
        AllocationSlot.objects.select_for_update()
        .filter(stratum=stratum, participant__isnull=True)
        .order_by("sequence")
        .first()
    )
    if slot is None:
        raise TrialError(
            _("The allocation list has no free slot left in this stratum. Ask the statistician."),
            code="stratum_exhausted",
        )
    slot.participant, slot.taken_at = participant, timezone.now()
    slot.save(update_fields=["participant", "taken_at"])
    return slot


def _historical_levels(allocation_list: AllocationList) -> list[tuple[dict[str, str], str]]:
    """Historical allocations count in the imbalance with their participants' levels
    (they do not advance the list's own numbering or draws)."""
    protocol = get_protocol(allocation_list.protocol_code)
    return [
        (participant_levels(protocol, a.participant, allocation_list.factors), a.arm)
        for a in Allocation.objects.filter(
            participant__protocol_code=allocation_list.protocol_code,
            historical_load__isnull=False,
        )
        .select_related("participant__site")
        .order_by("pk")
    ]


def stratum_missing(protocol: Protocol, factors: list[str]) -> str:
    """The refusal when a stratification answer is missing, naming the forms that hold the
    missing factors (from the protocol)."""
    forms = dict.fromkeys(
        str(protocol.form(protocol.factor(code).form).label)
        for code in factors
        if protocol.factor(code).form
    )
    return _("A stratification answer is missing (see the form: %(forms)s).") % {
        "forms": ", ".join(forms)
    }


def _minimize(allocation_list: AllocationList, levels: dict[str, str]) -> dict[str, Any]:
    locked = allocation_list_qs_for_update(allocation_list.pk).get()
    existing = [
        (a.details.get("levels", {}), a.details.get("virtual_arm", a.arm))
        for a in Allocation.objects.filter(allocation_list=locked).order_by("pk")
    ]
    draw = random.Random(f"{locked.seed}:{len(existing) + 1}").random()
    decision = minimization_assign(
        arms=locked.arms,
        ratio=locked.ratio,
        factors=locked.factors,
        existing=_historical_levels(locked) + existing,
        new_levels=levels,
        p_best=locked.p_best,
        weights=None,
        rng_value=draw,
    )
    return {
        "arm": decision.arm,
        "number": f"M{len(existing) + 1:04d}",
        "details": {
            "levels": levels,
            "draw": draw,
            "chosen_best": decision.chosen_best,
            "imbalance_by_arm": decision.imbalance_by_arm,
            # unequal ratios: the virtual arm drawn, counted by the next decisions
            **(
                {"virtual_arm": decision.virtual_arm}
                if decision.virtual_arm != decision.arm
                else {}
            ),
        },
    }


@transaction.atomic(durable=True)
def participant_randomize(
    *, actor: Any, participant: Participant, allocated_at: datetime | None = None
) -> Allocation:
    """Allocate a consented participant from the active list; a repeat returns the same.

    ``allocated_at``: when it happened, for a history loaded after the fact (the demo);
    audited as ``allocation_record`` records it. Pages never pass it.

    Locks the participant, then the stratum row, then takes the first free slot by
    sequence, so concurrent randomizations never share or skip a slot.
    """
    locked = participant_qs_for_update(participant.pk).get()
    data_entry_allowed(locked)
    existing = Allocation.objects.filter(participant=locked).first()
    if existing is not None:
        return existing  # a double submit gets the allocation it already made
    if locked.status != Participant.Status.CONSENTED:
        raise InvalidTransition()
    if not _pre_randomization_complete(locked):
        raise TrialError(
            pre_randomization_incomplete(locked.protocol_code), code="pre_randomization_incomplete"
        )
    allocation_list = AllocationList.objects.filter(
        protocol_code=locked.protocol_code, status=AllocationList.Status.ACTIVE
    ).first()
    if allocation_list is None:
        raise TrialError(NO_ACTIVE_LIST, code="no_active_list")
    protocol = get_protocol(locked.protocol_code)
    levels = participant_levels(protocol, locked, allocation_list.factors)
    missing = [code for code, value in levels.items() if value == ""]
    if missing:
        raise TrialError(stratum_missing(protocol, missing), code="stratum_unknown")
    key = "|".join(levels[f] for f in allocation_list.factors)
    if allocation_list.method == AllocationList.Method.MINIMIZATION:
        choice = _minimize(allocation_list, levels)
        return allocation_record(
            actor=actor,
            participant=locked,
            arm=choice["arm"],
            randomization_number=choice["number"],
            allocation_list=allocation_list,
            stratum_key=key,
            details=choice["details"],
            allocated_at=allocated_at,
        )
    slot = _take_slot(allocation_list, key, locked)
    return allocation_record(
        actor=actor,
        participant=locked,
        arm=slot.arm,
        randomization_number=slot.randomization_number,
        allocation_list=allocation_list,
        slot=slot,
        stratum_key=key,
        allocated_at=allocated_at,
    )


def allocation_record(
    *,
    actor: Any,
    participant: Participant,
    arm: str,
    randomization_number: str,
    allocated_at: datetime | None = None,
    **source: Any,
) -> Allocation:
    """Write the allocation of a consented participant and schedule the arm's visits.

    Called by ``participant_randomize`` inside its transaction; tests and data migration
    of a trial randomized elsewhere call it directly to place a participant in an arm,
    with ``allocated_at`` the time it was randomized there (audited; default: now).
    """
    with transaction.atomic():
        locked = participant_qs_for_update(participant.pk).get()
        if Allocation.objects.filter(participant=locked).exists():
            raise AlreadyAllocated()
        if locked.status != Participant.Status.CONSENTED:
            raise InvalidTransition()
        if arm not in {a.code for a in get_protocol(locked.protocol_code).arms}:
            raise TrialError(_("This arm is not one of the protocol's arms."), code="unknown_arm")
        try:
            with transaction.atomic():
                allocation = Allocation.objects.create(
                    participant=locked,
                    arm=arm,
                    randomization_number=randomization_number,
                    allocated_by=actor,
                    **source,
                )
        except IntegrityError as exc:  # the one-to-one backstops
            raise AlreadyAllocated() from exc
        if allocated_at is not None:  # auto_now_add ignores a value given to create()
            Allocation.objects.filter(pk=allocation.pk).update(allocated_at=allocated_at)
            allocation.allocated_at = allocated_at
        locked.status = Participant.Status.RANDOMIZED
        locked.revision += 1
        locked.save(update_fields=["status", "revision", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=allocation,
            site=locked.site,
            changes={
                "arm": (None, arm),
                "randomization_number": (None, randomization_number),
                **({"allocated_at": (None, allocated_at.isoformat())} if allocated_at else {}),
                "status": (Participant.Status.CONSENTED, Participant.Status.RANDOMIZED),
            },
        )
        # anchors the protocol dates from the randomization (visits counted from it)
        anchor_event_record(
            actor=actor,
            participant=locked,
            event=AnchorEvent.RANDOMIZATION,
            at=allocation.allocated_at,
        )
        visit_schedule_sync(actor=actor, participant=locked)
        return allocation
