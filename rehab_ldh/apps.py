from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RehabLdhConfig(AppConfig):
    name = "rehab_ldh"
    verbose_name = _("Rehabilitation after PELD trial")
