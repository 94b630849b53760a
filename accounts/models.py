from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who uses the EDC. What they may do comes from their site memberships.

    ``language`` is the interface language the user last chose (empty: none chosen yet, the
    browser's or the cookie's language applies); it follows the user to any device.
    """

    language = models.CharField(
        _("language"),
        max_length=16,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The interface language, kept for every device the user logs in on."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
