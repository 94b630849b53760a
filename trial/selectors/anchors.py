"""Participants' anchor dates: the one read of ``AnchorDate`` that the schedule, the edit
checks, the ePRO windows, the datasets and every export use.

An anchor with no row, or a row without a date, is unknown (``None``): the visits that
count from it have no target day yet.
"""

from collections.abc import Iterable
from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery

from trial.models import AnchorDate, Participant
from trial.protocol import Protocol, anchor_date_name, get_protocol

AnchorDates = dict[str, date | None]


def participant_anchor_dates(
    participant: Participant, protocol: Protocol | None = None
) -> AnchorDates:
    """Return ``{anchor code: date or None}`` for every anchor of the participant's protocol."""
    protocol = protocol or get_protocol(participant.protocol_code)
    codes = [a.code for a in protocol.anchors]
    read = participant.__dict__
    if all(_annotation(code) in read for code in codes):  # read with the participant's row
        return {code: read[_annotation(code)] for code in codes}
    if not isinstance(participant, Participant) or participant.pk is None:
        # a participant not saved (a form checked on its own) gives them as ``<code>_date``
        return {code: getattr(participant, anchor_date_name(code), None) for code in codes}
    dates: AnchorDates = dict.fromkeys(codes)
    dates.update(AnchorDate.objects.filter(participant=participant).values_list("code", "date"))
    # dates given to the participant object before it was saved (kept in memory only)
    dates.update(participant.__dict__.get("_unsaved_anchors", {}))
    return dates


def _annotation(code: str) -> str:
    return f"anchor_date_{code}"


def with_anchor_dates(participants: QuerySet[Participant], protocol: Protocol) -> QuerySet:
    """Read the participants' anchor dates in the same query as their rows (one scalar
    subquery per anchor of ``protocol``); ``participant_anchor_dates`` then reads no more.

    For a participant locked for a write (``crf_save``): ``anchor_dates_apply`` keeps the
    values read this way up to date when it changes one.
    """
    return participants.annotate(
        **{
            _annotation(a.code): Subquery(
                AnchorDate.objects.filter(participant=OuterRef("pk"), code=a.code)
                .order_by()
                .values("date")[:1]
            )
            for a in protocol.anchors
        }
    )


def anchor_date_read_along(participant: Participant, code: str, day: date | None) -> None:
    """Keep a date read along with the participant's row (``with_anchor_dates``) current."""
    if _annotation(code) in participant.__dict__:
        participant.__dict__[_annotation(code)] = day


def anchor_dates_by_participant(
    participants: "Iterable[int] | QuerySet[Participant]",
) -> dict[int, AnchorDates]:
    """Return ``{participant pk: {anchor code: date or None}}`` in one query (for exports).

    ``participants``: their primary keys, or a QuerySet of them (read as a subquery). A
    participant without any anchor row maps to an empty dict; read a code with ``.get``.
    """
    if isinstance(participants, QuerySet):
        chosen = AnchorDate.objects.filter(participant__in=participants.values("pk"))
        out: dict[int, AnchorDates] = {}
    else:
        ids = list(participants)
        chosen = AnchorDate.objects.filter(participant_id__in=ids)
        out = {pk: {} for pk in ids}
    rows = chosen.values_list("participant_id", "code", "date")
    for pk, code, day in rows.iterator(chunk_size=5000):
        out.setdefault(pk, {})[code] = day
    return out


def anchor_rows(participant: Participant) -> list[AnchorDate]:
    """Return the participant's anchor rows (code, date, source) for the participant page."""
    return list(AnchorDate.objects.filter(participant=participant).order_by("code"))
