from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from clinic.audit.admin import AuditedAdminMixin

from .models import (
    Estimate,
    EstimateLine,
    FacilityBillingIdentity,
    FeeItem,
    FeeSchedule,
    GfeObligation,
    PackagePrice,
    Payment,
    PaymentPolicy,
    PaymentPolicyAcceptance,
)


@admin.register(FacilityBillingIdentity)
class FacilityBillingIdentityAdmin(admin.ModelAdmin):
    list_display = ["location", "legal_name", "npi", "tin", "provider_name", "provider_npi"]

    def has_delete_permission(self, request, obj=None):
        # Estimates keep their own copies, but a location should never lose its identity.
        return False


class FeeItemInline(admin.TabularInline):
    model = FeeItem
    extra = 0


class PackagePriceInline(admin.TabularInline):
    model = PackagePrice
    extra = 0


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = ["location", "effective_date", "note"]
    list_filter = ["location"]
    inlines = [FeeItemInline, PackagePriceInline]
    save_as = True  # "Save as new" copies a version, the usual way to make the next one.

    def get_readonly_fields(self, request, obj=None):
        return ["location"] if obj is not None else []


class EstimateLineInline(admin.TabularInline):
    model = EstimateLine
    fields = ["service_code", "description", "quantity", "unit_price", "amount", "optional"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Estimate)
class EstimateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read only: an issued estimate is never edited or deleted (the database refuses too)."""

    list_display = ["__str__", "patient_name", "location_name", "total_high", "issued_at"]
    list_filter = ["location"]
    search_fields = ["number"]
    inlines = [EstimateLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GfeObligation)
class GfeObligationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "patient",
        "location",
        "trigger",
        "triggered_at",
        "due_on",
        "met_by",
        "closed_at",
    ]
    list_filter = ["trigger", "location"]
    readonly_fields = [f.name for f in GfeObligation._meta.fields]
    verbose_name = _("Good Faith Estimate due")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentPolicy)
class PaymentPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "location",
        "effective_date",
        "deposit_kind",
        "deposit_cents",
        "deposit_percent",
        "deposit_on_cancel",
        "infusion_charged_at",
        "late_cancellation_fee_cents",
        "no_show_fee_cents",
    ]
    list_filter = ["location"]

    def has_change_permission(self, request, obj=None):
        # A version a patient accepted stays as they read it: add a new version instead.
        if obj is not None and PaymentPolicyAcceptance.objects.filter(policy=obj).exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read only: the ledger changes through charges, webhooks and refunds (the chart)."""

    list_display = ["idempotency_key", "patient", "kind", "amount_cents", "status", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["idempotency_key", "stripe_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
