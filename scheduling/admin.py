from django.contrib import admin

from clinic.audit.admin import AuditedAdminMixin

from .models import (
    Chair,
    Closure,
    Course,
    CourseRules,
    CourseStatusChange,
    InfusionSession,
    Location,
    OpeningHours,
    SessionType,
    StaffShift,
)


class ChairInline(admin.TabularInline):
    model = Chair
    extra = 0


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


class CourseRulesInline(admin.StackedInline):
    model = CourseRules
    extra = 0
    max_num = 1


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "state", "time_zone", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ChairInline, OpeningHoursInline, ClosureInline, CourseRulesInline]


@admin.register(Chair)
class ChairAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "is_active"]
    list_filter = ["location", "is_active"]
    list_editable = ["is_active"]


@admin.register(StaffShift)
class StaffShiftAdmin(admin.ModelAdmin):
    list_display = ["clinician", "location", "starts_at", "ends_at", "monitoring_capacity"]
    list_filter = ["location"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["clinician"]


@admin.register(SessionType)
class SessionTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "infusion_minutes", "recovery_minutes"]


class CourseStatusChangeInline(admin.TabularInline):
    model = CourseStatusChange
    extra = 0
    can_delete = False
    readonly_fields = [
        "from_status",
        "to_status",
        "planned_from",
        "planned_to",
        "changed_by",
        "reason",
        "changed_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Course)
class CourseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read-only: courses change through the services (and their pages), which keep the rules."""

    list_display = ["__str__", "location", "planned_sessions", "status", "created_at"]
    list_filter = ["status", "location"]
    inlines = [CourseStatusChangeInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(InfusionSession)
class InfusionSessionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read-only, for looking things up; booking goes through the scheduling pages."""

    list_display = ["__str__", "location", "chair", "starts_at", "status", "late_change"]
    list_filter = ["status", "location", "late_change"]
    date_hierarchy = "starts_at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
