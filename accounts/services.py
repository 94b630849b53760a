from typing import Any

from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction

from trial.models import AuditEvent
from trial.services.audit import audit_record


@transaction.atomic(durable=True)
def user_change_password(*, form: PasswordChangeForm, ip_address: str | None = None) -> Any:
    """Save a validated password change and audit it (never the password itself)."""
    user = form.save()
    audit_record(actor=user, action=AuditEvent.Action.PASSWORD_CHANGE, ip_address=ip_address)
    return user


def user_set_language(*, user: Any, language: str) -> bool:
    """Keep ``language`` as the user's interface language; return whether it changed.

    A preference, not clinical data: no audit row. Unknown codes are refused by the caller
    (``django.views.i18n.set_language`` checks them first).
    """
    if user.language == language:
        return False
    user.language = language
    user.save(update_fields=["language"])
    return True
