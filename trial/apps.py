from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from trial import discovery


class TrialConfig(AppConfig):
    name = "trial"
    verbose_name = _("Trial")

    def ready(self) -> None:
        """Discover every app's ``contributions`` module (see ``trial.discovery``)."""
        discovery.discover()
        checks.register(discovery.check_contributions)
