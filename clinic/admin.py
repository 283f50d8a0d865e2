from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .audit.admin import AuditedAdminMixin
from .models import Role, User


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
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

    def get_fieldsets(self, request, obj=None):
        # Superuser status and Django's groups are a superuser's to give: a clinic admin who
        # could tick them would hold every permission, the libraries' tables included.
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "groups", "user_permissions"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def audit_patient_of(self, obj):
        return obj.pk if obj.role == Role.PATIENT else None


# --- Messaging: templates and the reminder plan are edited here; messages, consent and
# replies are records, shown read-only.
from django import forms  # noqa: E402
from django.utils.html import format_html, format_html_join  # noqa: E402

from clinic.messaging.models import (  # noqa: E402
    ContactConsent,
    InboundReply,
    Message,
    MessageEvent,
    MessageTemplate,
    ReminderPlanEntry,
)
from clinic.messaging.services import template_test_send  # noqa: E402
from clinic.messaging.wording import render_sample, template_problems  # noqa: E402


class MessageTemplateForm(forms.ModelForm):
    """Refuses, before saving, words a message must not have (clinic.messaging.wording): a
    drug, diagnosis or treatment, a {{ word }} the message does not get, a text over 160
    characters, a call over a minute or without the opt-out key and callback number."""

    class Meta:
        model = MessageTemplate
        fields = ["key", "channel", "language", "subject", "body"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        problems = template_problems(
            key=cleaned["key"],
            channel=cleaned["channel"],
            subject=cleaned.get("subject", ""),
            body=cleaned.get("body", ""),
        )
        for field, messages in problems.items():
            for message in messages:
                self.add_error(field, message)
        return cleaned


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["key", "channel", "language", "subject", "updated_at"]
    list_filter = ["channel", "language", "key"]
    search_fields = ["key", "body"]
    readonly_fields = ["preview"]
    actions = ["send_test"]

    @admin.display(description=_("Preview (a sample, as saved)"))
    def preview(self, obj):
        """This kind of message in English and Spanish, rendered with a sample date."""
        if obj is None or obj.pk is None:
            return _("Save to see a preview.")
        versions = MessageTemplate.objects.filter(key=obj.key, channel=obj.channel)
        parts = []
        for version in versions.order_by("language"):
            subject, body = render_sample(
                key=version.key,
                language=version.language,
                subject=version.subject,
                body=version.body,
            )
            parts.append(
                format_html(
                    '<p><strong>{}</strong>{}</p><p style="white-space: pre-line">{}</p>',
                    version.get_language_display(),
                    format_html(" · {}", subject) if subject else "",
                    body,
                )
            )
        return format_html_join("", "{}", ((p,) for p in parts))

    @admin.action(description=_("Send a test to me (it shows in the Outbox)"))
    def send_test(self, request, queryset):
        for template in queryset:
            template_test_send(template=template, user=request.user)
        self.message_user(
            request,
            _(
                "%(n)s test message(s) are in the Outbox, to your own e-mail or phone. Texts "
                "and calls go only to a number that agreed to them, in calling hours."
            )
            % {"n": queryset.count()},
        )


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
    list_display = ["address", "channel", "granted", "source", "at", "user", "recorded_by"]
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
    readonly_fields = [
        "channel",
        "from_address",
        "user",
        "message",
        "body",
        "action",
        "at",
        "handled_by",
        "handled_at",
    ]
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
