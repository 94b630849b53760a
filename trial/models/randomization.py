from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .historical import HistoricalAllocationLoad
from .participants import Participant


class AllocationList(models.Model):
    """A concealed allocation list (or a minimization scheme) for one protocol.

    A draft list may be replaced; activation seals it: the SHA-256 commitment of its
    canonical form is stored and neither the list nor its slots change afterwards.
    """

    class Method(models.TextChoices):
        PERMUTED_BLOCKS = "permuted_blocks", _("Permuted blocks (generated)")
        UPLOADED = "uploaded", _("Uploaded list")
        MINIMIZATION = "minimization", _("Minimization (Pocock-Simon)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active (sealed)")
        RETIRED = "retired", _("Retired")

    protocol_code = models.CharField(_("protocol"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    arms = models.JSONField(_("arms"))
    ratio = models.JSONField(_("ratio"))
    factors = models.JSONField(_("stratification factors"), default=list, blank=True)
    block_sizes = models.JSONField(_("block sizes"), default=list, blank=True)
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    p_best = models.FloatField(_("probability of the best arm"), null=True, blank=True)
    commitment = models.CharField(_("SHA-256 commitment"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("allocation list")
        verbose_name_plural = _("allocation lists")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol_code"],
                condition=Q(status="active"),
                name="allocation_list_one_active_per_protocol",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AllocationStratum(models.Model):
    """One stratum of a list: the row randomization locks before taking a slot."""

    allocation_list = models.ForeignKey(
        AllocationList, on_delete=models.PROTECT, related_name="strata"
    )
    key = models.CharField(_("stratum"), max_length=200)

    class Meta:
        verbose_name = _("stratum")
        verbose_name_plural = _("strata")
        constraints = [
            models.UniqueConstraint(fields=["allocation_list", "key"], name="stratum_unique_key")
        ]

    def __str__(self) -> str:
        return self.key or "—"


class AllocationSlot(models.Model):
    """One line of a list: taken by at most one participant, in sequence order."""

    stratum = models.ForeignKey(AllocationStratum, on_delete=models.PROTECT, related_name="slots")
    sequence = models.PositiveIntegerField(_("sequence"))
    block = models.PositiveIntegerField(_("block"), null=True, blank=True)
    arm = models.CharField(_("arm"), max_length=8)
    randomization_number = models.CharField(_("randomization number"), max_length=20)
    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)

    class Meta:
        verbose_name = _("allocation slot")
        verbose_name_plural = _("allocation slots")
        ordering = ["stratum_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["stratum", "sequence"], name="slot_unique_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.stratum} #{self.sequence}"


class Allocation(models.Model):
    """The arm a participant was allocated to. Assigned once, never reassigned."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="allocation"
    )
    arm = models.CharField(_("arm"), max_length=8)
    randomization_number = models.CharField(_("randomization number"), max_length=20)
    allocation_list = models.ForeignKey(
        AllocationList, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    slot = models.OneToOneField(
        AllocationSlot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stratum_key = models.CharField(_("stratum"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    historical_load = models.ForeignKey(
        HistoricalAllocationLoad,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name=_("historical load"),
        help_text=_("Set when the allocation was made before the trial used this system."),
    )
    allocated_at = models.DateTimeField(_("allocated at"), auto_now_add=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")

    def __str__(self) -> str:
        return f"{self.participant.trial_id} #{self.randomization_number}"


class UnblindingRequest(models.Model):
    """An emergency request to reveal one participant's arm to the requester."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="unblinding_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("unblinding request")
        verbose_name_plural = _("unblinding requests")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.participant.trial_id} unblinding ({self.status})"
