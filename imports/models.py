from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jobs.models import Job


class ImportJob(Job):
    """One uploaded file on its way into the trial: mapping, dry run, then a commit job.

    The upload is kept as a file (``stored_name`` under ``MEDIA_ROOT/imports``) and read in
    chunks at each step. Never hard-deleted: the checksum and the outcome are the record of
    what came in.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Dry run running")
        CHECKED = "checked", _("Dry run done")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Imported")
        FAILED = "failed", _("Failed")

    JOB_KIND = "imports"
    # a dry run is queued as "checking": not started yet while started_at is empty
    JOB_ACTIVE = (Status.CHECKING, Status.QUEUED, Status.RUNNING)
    JOB_SUCCEEDED = Status.SUCCEEDED

    protocol_code = models.CharField(_("protocol"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(_("format"), max_length=8)
    stored_name = models.CharField(_("stored file"), max_length=100)
    file_checksum = models.CharField(_("file SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"))
    header = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("mapping"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    problem_count = models.PositiveIntegerField(_("problems found"), default=0)
    checked_mapping = models.JSONField(_("mapping of the dry run"), default=dict, blank=True)
    language = models.CharField(_("language of the messages"), max_length=10, default="en")
    reason = models.TextField(_("reason for changes"), blank=True)
    accept_warnings = models.BooleanField(_("accept warnings"), default=False)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_busy(self) -> bool:
        return self.status in {self.Status.CHECKING, self.Status.QUEUED, self.Status.RUNNING}
