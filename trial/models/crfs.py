from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .participants import Participant
from .visits import Visit


class FormInstance(models.Model):
    """One case report form of a participant: at a visit, or an entry of a repeating log.

    It carries what every form shares (status, revision for stale-save detection, who and
    when); the typed answers live in the form's data model (a :class:`CrfData` subclass),
    one row per instance. Queries, verification, locks and signatures attach here.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETE = "complete", _("Complete")

    class Source(models.TextChoices):
        """Who entered the answers: site staff, or the participant through ePRO."""

        STAFF = "staff", _("Staff")
        EPRO = "epro", _("ePRO")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="form_instances"
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="form_instances"
    )
    form_code = models.CharField(_("form"), max_length=40)
    seq = models.PositiveIntegerField(_("entry"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS
    )
    revision = models.PositiveIntegerField(_("revision"), default=1)
    is_voided = models.BooleanField(_("voided"), default=False)
    void_reason = models.TextField(_("reason voided"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Data management: source data verification, lock and signature (each cleared or
    # refused by a later edit, see trial.services.crfs).
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signature_meaning = models.CharField(_("meaning of signature"), max_length=200, blank=True)
    # Free text as blinded roles may read it (``trial.blinding``): the wording an unblinded
    # site user reviewed, valid for the revision it was reviewed at (a later edit masks it).
    blinded_texts = models.JSONField(_("free text for blinded roles"), default=dict, blank=True)
    blinded_texts_revision = models.PositiveIntegerField(
        _("revision the free text was reviewed at"), null=True, blank=True
    )
    blinded_texts_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Dated outside its visit's window and saved with a reason (a query was opened).
    out_of_window = models.BooleanField(_("outside the visit window"), default=False)
    # Entered by staff, or by the participant through an ePRO invitation (epro app).
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.STAFF
    )
    # A participant's ePRO entry site staff marked invalid (its answers stay as entered;
    # the datasets leave it out): trial.services.participant_entries.
    invalid_at = models.DateTimeField(_("marked invalid at"), null=True, blank=True)
    invalid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invalid_reason = models.TextField(_("reason marked invalid"), blank=True)

    class Meta:
        verbose_name = _("form")
        verbose_name_plural = _("forms")
        ordering = ["participant_id", "visit_id", "form_code", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "visit", "form_code", "seq"],
                condition=models.Q(visit__isnull=False),
                name="form_instance_unique_at_visit",
            ),
            models.UniqueConstraint(
                fields=["participant", "form_code", "seq"],
                condition=models.Q(visit__isnull=True),
                name="form_instance_unique_in_log",
            ),
        ]

    def __str__(self) -> str:
        where = self.visit.code if self.visit_id else "log"
        return f"{self.participant.trial_id} {where} {self.form_code} #{self.seq}"


class NotAnswered(models.TextChoices):
    """Why a required item was deliberately left unanswered on a complete form."""

    DECLINED = "declined", _("Declined to answer")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    UNKNOWN = "unknown", _("Unknown")


class CrfData(models.Model):
    """Base of every form's typed data: one row per :class:`FormInstance`.

    Every answer column is nullable so that a form can be saved in progress. A form is
    complete only when every item of ``required_items`` is answered or listed in
    ``not_answered`` with a :class:`NotAnswered` code (one rule for every form, checked by
    ``trial.services.crfs``). ``scores`` holds what ``scoring`` computed on save, with
    ``scorer_version``.
    """

    required_items: tuple[str, ...] = ()

    instance = models.OneToOneField(
        FormInstance, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    scorer_version = models.CharField(_("scorer version"), max_length=40, blank=True)
    not_answered = models.JSONField(
        _("items not answered (reason codes)"), default=dict, blank=True
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.instance_id}"
