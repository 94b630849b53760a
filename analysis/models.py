"""Report runs: one Celery job over a data source, population and mode, kept for good."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from jobs.models import Job


class ReportRun(Job):
    """A statistical report job, its progress, its recorded inputs and its results.

    Never hard-deleted: ``inputs`` (data source, checksum, population, mode, software and
    scorer versions) are what is needed to reproduce it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        LIVE = "live", _("Live extract (not locked)")
        SNAPSHOT = "snapshot", _("Locked snapshot")

    class Population(models.TextChoices):
        ITT = "itt", _("Intention-to-treat")
        PP = "pp", _("Per-protocol")

    class Language(models.TextChoices):
        EN = "en", _("English")
        ZH = "zh", _("Chinese")
        ZH_EN = "zh_en", _("Chinese, tables titled in both languages (as the paper)")

    class Mode(models.TextChoices):
        CORRECT = "correct", _("Correct (SAP, two-sided)")
        PAPER = "paper", _("Paper-compatible")

    JOB_KIND = "reports"
    JOB_ACTIVE = (Status.QUEUED, Status.RUNNING)
    JOB_SUCCEEDED = Status.SUCCEEDED

    protocol_code = models.CharField(_("protocol"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_message = models.CharField(_("progress message"), max_length=200, blank=True)
    data_source = models.CharField(
        _("data source"), max_length=10, choices=Source.choices, default=Source.LIVE
    )
    # the locked data a "snapshot" run reads (its blinded variant for a pooled run)
    release = models.ForeignKey(
        "DatasetRelease", verbose_name=_("dataset release"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="report_runs",
    )  # fmt: skip
    population = models.CharField(_("population"), max_length=4, choices=Population.choices)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    blinded_view = models.BooleanField(_("pooled (blinded) view"), default=False)
    sites = models.JSONField(_("sites (all when empty)"), default=list, blank=True)
    language = models.CharField(_("language of the files"), max_length=10, default="en")
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    xlsx = models.FileField(_("XLSX file"), upload_to="reports/", blank=True)
    docx = models.FileField(_("DOCX file"), upload_to="reports/", blank=True)
    pdf = models.FileField(_("PDF file"), upload_to="reports/", blank=True)

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Report #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def release_variant(self) -> str:
        """The variant of the release a snapshot run reads: pooled runs read the blinded one."""
        return "blinded" if self.blinded_view else "unblinded"

    @property
    def source_label(self) -> str:
        """What the report's data are, in the active language (page and files)."""
        if self.release is None:
            return gettext("Live extract, not locked")
        if self.release_variant == "blinded":
            variant = pgettext("release variant", "blinded")
        else:
            variant = pgettext("release variant", "unblinded")
        return gettext(
            "Dataset release v%(version)s (%(variant)s, locked), archive SHA-256 %(sha)s"
        ) % {"version": self.release.version, "variant": variant,
             "sha": self.release_archive_sha256}  # fmt: skip

    @property
    def release_archive_sha256(self) -> str:
        """The SHA-256 of the archive of the variant a snapshot run reads (the one its
        reader may download: never the unblinded data's checksum for a pooled run)."""
        if self.release is None:
            return ""
        if self.release_variant == "blinded":
            return self.release.blinded_archive_sha256
        return self.release.archive_sha256


class DatasetRelease(Job):
    """An immutable, versioned dataset release built from a declared data cut (or a lock).

    The files live under ``MEDIA_ROOT/releases/<protocol code>/v<version>/`` (``folder``)
    and are never rewritten: a new cut is a new version. ``manifest`` holds the SHA-256 of
    every file of both variants (unblinded and blinded); ``diff`` compares the data with the
    previous ready release.
    The blinded arm mapping is kept only in the unblinded files, never in this row.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        DATA_CUT = "data_cut", _("Declared data cut")
        LOCK = "lock", _("Database lock")

    JOB_KIND = "releases"
    JOB_ACTIVE = (Status.QUEUED, Status.BUILDING)
    JOB_SUCCEEDED = Status.READY

    protocol_code = models.CharField(_("protocol"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DATA_CUT)
    reason = models.TextField(_("reason for the cut"))
    cut_at = models.DateTimeField(_("cut at"))
    population = models.CharField(_("population"), max_length=4, default="itt")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by_name = models.CharField(_("created by"), max_length=150, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress_message = models.CharField(_("progress message"), max_length=200, blank=True)
    n_participants = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    data_checksum = models.CharField(_("data checksum (SHA-256)"), max_length=64, blank=True)
    folder = models.CharField(_("folder"), max_length=200, blank=True)
    archive = models.CharField(_("archive"), max_length=255, blank=True)
    archive_sha256 = models.CharField(_("archive SHA-256"), max_length=64, blank=True)
    blinded_archive = models.CharField(_("blinded archive"), max_length=255, blank=True)
    blinded_archive_sha256 = models.CharField(
        _("blinded archive SHA-256"), max_length=64, blank=True
    )
    manifest = models.JSONField(_("manifest"), default=dict, blank=True)
    diff = models.JSONField(_("difference from the previous release"), default=dict, blank=True)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)

    class Meta:
        verbose_name = _("dataset release")
        verbose_name_plural = _("dataset releases")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol_code", "version"], name="dataset_release_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"Release v{self.version} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.READY, self.Status.FAILED}
