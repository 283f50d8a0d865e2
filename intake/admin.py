from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from clinic.audit.admin import AuditedAdminMixin
from clinic.audit.models import AuditAction
from clinic.audit.services import audit_record

from . import services
from .models import (
    ApiToken,
    InboundDocument,
    IntakeCase,
    PossibleDuplicate,
    Referral,
    ReferralAttachment,
    ReferralStatusChange,
    ReferringProvider,
)


@admin.register(ReferringProvider)
class ReferringProviderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "npi", "practice_name", "verified_at"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__first_name", "user__last_name", "user__email", "npi", "practice_name"]
    readonly_fields = ["verified_at", "verified_by"]
    actions = ["approve"]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Writes what the form edits, never referral_count: the copy loaded for this request
        # would overwrite a referral counted (by referral_submit) meanwhile.
        obj.save(update_fields=[*form.changed_data, "updated_at"])

    @admin.action(description=_("Approve (verify) the selected providers"))
    def approve(self, request, queryset):
        count = services.providers_verify(providers=queryset, verified_by=request.user)
        self.message_user(
            request, _("%(n)d provider(s) verified.") % {"n": count}, messages.SUCCESS
        )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HistoryInline(ReadOnlyInline):
    model = ReferralStatusChange


class AttachmentInline(ReadOnlyInline):
    model = ReferralAttachment
    fields = ["original_name", "content_type", "size", "uploaded_at"]
    readonly_fields = fields  # uploaded_at is set by the database, never typed


@admin.register(Referral)
class ReferralAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Referrals change through the portal's pages (which keep the history); here they are read."""

    list_display = [
        "reference",
        "status",
        "urgency",
        "provider",
        "preferred_location",
        "created_at",
    ]
    list_filter = ["status", "urgency", "preferred_location"]
    search_fields = ["reference"]
    inlines = [HistoryInline, AttachmentInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["provider", "name", "prefix", "key_hash", "last_used_at"]


@admin.register(IntakeCase)
class IntakeCaseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_select_related = ["referral"]

    def audit_patient_of(self, obj):
        return obj.referral.patient_id


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_select_related = ["referral"]

    def audit_patient_of(self, obj):
        return obj.referral.patient_id


@admin.register(InboundDocument)
class InboundDocumentAdmin(admin.ModelAdmin):
    """Faxed and scanned documents, to look up (whose fax was it, what became of it). They are
    read, split, attached and dismissed on the coordinator's Inbox page, which keeps the rules;
    here nothing changes. The list shows no patient; a document's page shows what was read from
    it (health information), so opening one is audited."""

    list_display = [
        "__str__",
        "status",
        "received_at",
        "sending_number",
        "page_count",
        "provider",
        "closed_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["sending_number", "external_id", "provider__npi"]
    date_hierarchy = "received_at"
    list_select_related = ["provider__user"]
    fields = [
        "source",
        "external_id",
        "sending_number",
        "content_type",
        "size",
        "page_count",
        "received_at",
        "uploaded_by",
        "status",
        "read_at",
        "read_error",
        "provider",
        "referrals",
        "closed_at",
        "closed_by",
        "close_reason",
        "text",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and original is not None:
            first = original.referrals.order_by("pk").first()
            audit_record(
                request=request,
                obj=original,
                action=AuditAction.VIEW,
                patient_id=first.patient_id if first else None,
                referral_id=first.pk if first else None,
            )
        return response
