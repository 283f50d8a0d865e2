from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "phone", "first_name", "last_name", "role", "prescriber", "is_active"]
    list_filter = ["role", "prescriber", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    fieldsets = (
        (None, {"fields": ("email", "phone", "password")}),
        (
            _("Person"),
            {"fields": ("first_name", "last_name", "role", "prescriber", "preferred_language")},
        ),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "phone", "role", "password1", "password2")},
        ),
    )


# --- Messaging: templates and the reminder plan are edited here; messages, consent and
# replies are records, shown read-only.
from clinic.messaging.models import (  # noqa: E402
    ContactConsent,
    InboundReply,
    Message,
    MessageEvent,
    MessageTemplate,
    ReminderPlanEntry,
)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["key", "channel", "language", "subject", "updated_at"]
    list_filter = ["channel", "language", "key"]
    search_fields = ["key", "body"]


@admin.register(ReminderPlanEntry)
class ReminderPlanEntryAdmin(admin.ModelAdmin):
    list_display = ["name", "offset", "channel", "template_key", "is_active"]
    list_editable = ["is_active"]


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "note", "at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["kind", "channel", "status", "send_after", "recipient", "attempts"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["topic", "dedupe_key", "gateway_id"]
    list_select_related = ["recipient"]
    inlines = [MessageEventInline]


@admin.register(ContactConsent)
class ContactConsentAdmin(ReadOnlyAdmin):
    list_display = ["address", "channel", "granted", "source", "at", "user"]
    list_filter = ["channel", "granted", "source"]
    search_fields = ["address"]


@admin.register(InboundReply)
class InboundReplyAdmin(admin.ModelAdmin):
    list_display = ["at", "channel", "from_address", "action", "needs_attention", "user"]
    list_filter = ["action", "needs_attention", "channel"]
    list_editable = ["needs_attention"]
    readonly_fields = ["channel", "from_address", "user", "message", "body", "action", "at"]


# --- Audit trail: listed read-only (clinic/audit/admin.py).
from clinic.audit import admin as _audit_admin  # noqa: E402, F401
