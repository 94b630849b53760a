from django import forms
from django.contrib import admin

from .models import AuditEvent, Membership, Site
from .protocol import protocols


class MembershipForm(forms.ModelForm):
    """A membership names one of the discovered trials (a choice, not free text)."""

    class Meta:
        model = Membership
        fields = ("user", "protocol_code", "site", "role", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "protocol_code" in self.fields:
            field = self.fields["protocol_code"]
            self.fields["protocol_code"] = forms.ChoiceField(
                label=field.label,
                help_text=field.help_text,
                choices=[(p.code, f"{p.code} · {p.title}") for p in protocols()],
            )


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_zh", "time_zone", "is_active")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ("user", "protocol_code", "role", "site", "is_active")
    list_filter = ("protocol_code", "role", "site", "is_active")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = (
        "at",
        "actor_username",
        "action",
        "protocol_code",
        "object_type",
        "object_repr",
        "site",
    )
    list_filter = ("protocol_code", "action", "object_type")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
