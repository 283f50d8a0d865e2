from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .audit.admin import AuditedAdminMixin
from .models import Role, User


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "phone", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    fieldsets = (
        (None, {"fields": ("email", "phone", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "role", "preferred_language")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "phone", "role", "password1", "password2")},
        ),
    )

    def audit_patient_of(self, obj):
        return obj.pk if obj.role == Role.PATIENT else None


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
class MessageAdmin(AuditedAdminMixin, ReadOnlyAdmin):
    list_display = ["kind", "channel", "status", "send_after", "recipient", "attempts"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["topic", "dedupe_key", "gateway_id"]
    list_select_related = ["recipient"]
    inlines = [MessageEventInline]

    def audit_patient_of(self, obj):
        return obj.recipient_id if obj.recipient.role == Role.PATIENT else None


@admin.register(ContactConsent)
class ContactConsentAdmin(AuditedAdminMixin, ReadOnlyAdmin):
    list_display = ["address", "channel", "granted", "source", "at", "user"]
    list_filter = ["channel", "granted", "source"]
    search_fields = ["address"]
    list_select_related = ["user"]

    def audit_patient_of(self, obj):
        return obj.user_id if obj.user and obj.user.role == Role.PATIENT else None


@admin.register(InboundReply)
class InboundReplyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "channel", "from_address", "action", "needs_attention", "user"]
    list_filter = ["action", "needs_attention", "channel"]
    list_editable = ["needs_attention"]
    readonly_fields = ["channel", "from_address", "user", "message", "body", "action", "at"]
    list_select_related = ["user"]

    def audit_patient_of(self, obj):
        return obj.user_id if obj.user and obj.user.role == Role.PATIENT else None


# --- Audit trail: listed read-only (clinic/audit/admin.py).
# --- Staff two-factor devices: an admin may see and remove a device, never read its secret
# (the key would let them produce the staff member's codes).
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from clinic.audit import admin as _audit_admin  # noqa: E402, F401


class SecretlessTOTPDeviceAdmin(TOTPDeviceAdmin):
    exclude = ["key"]

    def get_list_display(self, request):
        return [f for f in super().get_list_display(request) if f != "qrcode_link"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [
            (
                name,
                {
                    **options,
                    "fields": [f for f in options["fields"] if f not in ("key", "qrcode_link")],
                },
            )
            for name, options in fieldsets
        ]

    def config_view(self, request, pk):
        raise PermissionDenied

    def qrcode_view(self, request, pk):
        raise PermissionDenied


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, SecretlessTOTPDeviceAdmin)
