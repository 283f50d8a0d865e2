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
