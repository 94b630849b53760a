from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .participants import Participant


class Allocation(models.Model):
    """The arm a participant was allocated to. Assigned once, never reassigned.

    Randomization from a concealed list fills it (a later issue); until then the
    ``allocation_record`` service sets it for an allocation made outside the system.
    """

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="allocation"
    )
    arm = models.CharField(_("arm"), max_length=8)
    randomization_number = models.CharField(_("randomization number"), max_length=20)
    allocated_at = models.DateTimeField(_("allocated at"), auto_now_add=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")

    def __str__(self) -> str:
        return f"{self.participant.trial_id} #{self.randomization_number}"
