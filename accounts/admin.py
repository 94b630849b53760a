from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from trial.admin import MembershipForm
from trial.models import Membership

from .models import User


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    fk_name = "user"
    extra = 0


@admin.register(User)
class EdcUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ("username", "first_name", "last_name", "email", "is_active", "last_login")
    fieldsets = (*UserAdmin.fieldsets, (_("Preferences"), {"fields": ("language",)}))
