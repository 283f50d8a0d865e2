from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail can be listed and filtered, never added to, edited or deleted."""

    list_display = ["at", "actor", "actor_role", "action", "object_type", "object_id", "patient"]
    list_filter = ["action", "object_type", "actor_role"]
    search_fields = ["object_id", "patient__email", "patient__last_name", "actor__email"]
    raw_id_fields = ["actor", "patient"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin:
    """For the admin of a model that shows patients: the change list records a view of every
    patient on the page, and a change page a view of its record. `audit_patient_of(obj)` says
    whose record a row is (the row's own `patient_id` by default)."""

    def audit_patient_of(self, obj):
        return getattr(obj, "patient_id", None)

    def changelist_view(self, request, extra_context=None):
        from .services import audit_record_many

        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            audit_record_many(
                request=request,
                objects=changelist.result_list,
                patient_of=self.audit_patient_of,
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from .models import AuditAction
        from .services import audit_record, referral_id_of

        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        patient_id = self.audit_patient_of(original) if original is not None else None
        shows_someone = patient_id is not None or (
            original is not None and referral_id_of(original) is not None
        )
        if response.status_code == 200 and shows_someone:
            audit_record(
                request=request,
                obj=original,
                action=AuditAction.VIEW,
                patient_id=patient_id,
            )
        return response
