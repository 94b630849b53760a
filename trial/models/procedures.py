"""Typed data of the procedure records: the selective nerve root block and the PELD surgery."""

from typing import Any

from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .clinical import BaselineData, decimal, integer, yes_no
from .crfs import CrfData


def _numbered(message: Any, n: int) -> Any:
    """Return ``message % {"n": n}``, translated lazily (when shown, not at import)."""
    return lazy(lambda: str(message) % {"n": n}, str)()


def drug_name(n: int) -> models.Field:
    return models.CharField(_numbered(_("drug %(n)s"), n), max_length=100, blank=True)


def drug_concentration(n: int) -> models.Field:
    label = _numbered(_("drug %(n)s concentration (%%)"), n)
    return decimal(label, "0", "100", digits=5, places=2)


def drug_volume(n: int) -> models.Field:
    return decimal(_numbered(_("drug %(n)s volume (ml)"), n), "0", "20", digits=4, places=1)


class SnrbData(CrfData):
    """The selective nerve root block, given the day before surgery (S arm).

    The paper's mixture: 0.75% ropivacaine 1 ml + dexamethasone palmitate 1 ml + saline
    4 ml, of which 2 ml are injected at the exit of the root's foramen under CT.
    """

    required_items = (
        "performed_at",
        "level",
        "root",
        "side",
        "ct_guided",
        "needle",
        "local_anaesthetic",
        "drug_1_name",
        "drug_1_volume_ml",
        "volume_injected_ml",
        "aspiration_negative",
        "immediate_reaction",
    )

    Level = BaselineData.Level

    class Root(models.TextChoices):
        L2 = "L2", _("L2")
        L3 = "L3", _("L3")
        L4 = "L4", _("L4")
        L5 = "L5", _("L5")
        S1 = "S1", _("S1")

    class Side(models.TextChoices):
        LEFT = "left", _("Left")
        RIGHT = "right", _("Right")

    class Reaction(models.TextChoices):
        NONE = "none", _("None")
        DIZZINESS = "dizziness", _("Dizziness")
        HYPOTENSION = "hypotension", _("Hypotension")
        NUMBNESS = "transient_numbness", _("Transient numbness")
        PAIN = "pain", _("Pain")
        OTHER = "other", _("Other")

    performed_at = models.DateTimeField(_("date and time of the block"), null=True, blank=True)
    level = models.CharField(_("level"), max_length=8, blank=True, choices=Level.choices)
    root = models.CharField(_("nerve root"), max_length=4, blank=True, choices=Root.choices)
    side = models.CharField(_("side"), max_length=8, blank=True, choices=Side.choices)
    ct_guided = yes_no(_("CT-guided"))
    needle = models.CharField(_("needle"), max_length=60, blank=True, default="20G × 100 mm")
    local_anaesthetic = models.CharField(
        _("local anaesthetic at the puncture site"),
        max_length=60,
        blank=True,
        default="1% lidocaine",
    )
    drug_1_name = drug_name(1)
    drug_1_concentration_pct = drug_concentration(1)
    drug_1_volume_ml = drug_volume(1)
    drug_2_name = drug_name(2)
    drug_2_concentration_pct = drug_concentration(2)
    drug_2_volume_ml = drug_volume(2)
    drug_3_name = drug_name(3)
    drug_3_concentration_pct = drug_concentration(3)
    drug_3_volume_ml = drug_volume(3)
    volume_injected_ml = decimal(_("volume injected (ml)"), "0", "20", digits=4, places=1)
    aspiration_negative = yes_no(_("aspiration negative for blood"))
    immediate_reaction = models.CharField(
        _("immediate reaction"), max_length=20, blank=True, choices=Reaction.choices
    )
    reaction_details = models.TextField(_("details of the reaction"), blank=True)

    class Meta:
        verbose_name = _("selective nerve root block")
        verbose_name_plural = _("selective nerve root blocks")


class PeldData(CrfData):
    """The percutaneous endoscopic lumbar discectomy."""

    required_items = (
        "surgery_date",
        "surgeon",
        "approach",
        "anaesthesia",
        "foraminoplasty",
        "annuloplasty",
        "duration_minutes",
        "blood_loss_ml",
        "intraoperative_events",
    )

    class Approach(models.TextChoices):
        TRANSFORAMINAL = "transforaminal", _("Transforaminal")
        INTERLAMINAR = "interlaminar", _("Interlaminar")

    class Anaesthesia(models.TextChoices):
        LOCAL = "local", _("Local")
        EPIDURAL = "epidural", _("Epidural")
        GENERAL = "general", _("General")

    class Event(models.TextChoices):
        NONE = "none", _("None")
        DURAL_TEAR = "dural_tear", _("Dural tear")
        NERVE_ROOT_INJURY = "nerve_root_injury", _("Nerve root injury")
        CONVERSION = "conversion_to_open", _("Conversion to open surgery")
        OTHER = "other", _("Other")

    surgery_date = models.DateField(_("surgery date"), null=True, blank=True)
    surgeon = models.CharField(_("surgeon"), max_length=100, blank=True)
    approach = models.CharField(_("approach"), max_length=16, blank=True, choices=Approach.choices)
    anaesthesia = models.CharField(
        _("anaesthesia"), max_length=10, blank=True, choices=Anaesthesia.choices
    )
    foraminoplasty = yes_no(_("foraminoplasty"))
    annuloplasty = yes_no(_("annuloplasty"))
    duration_minutes = integer(_("duration of surgery (minutes)"), 10, 600)
    blood_loss_ml = integer(_("blood loss (ml)"), 0, 2000)
    intraoperative_events = models.CharField(
        _("intraoperative events"), max_length=20, blank=True, choices=Event.choices
    )
    event_details = models.TextField(_("details of the events"), blank=True)

    class Meta:
        verbose_name = _("PELD surgery")
        verbose_name_plural = _("PELD surgeries")
