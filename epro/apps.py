from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EproConfig(AppConfig):
    name = "epro"
    verbose_name = _("ePRO")
