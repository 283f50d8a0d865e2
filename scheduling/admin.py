import holidays
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.audit.admin import AuditedAdminMixin
from clinic.formatting import format_date

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
from .services import closure_lift, shift_add


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


# The zone picker starts with the United States' zones, east to west; the rest follow.
US_ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
]


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = [
            "name",
            "slug",
            "time_zone",
            "address_line",
            "city",
            "state",
            "zip_code",
            "phone",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        choices = list(field.choices)
        rank = {name: i for i, name in enumerate(US_ZONES)}
        us = sorted((c for c in choices if str(c[0]) in rank), key=lambda c: rank[str(c[0])])
        field.choices = us + [c for c in choices if str(c[0]) not in rank]


class HolidayActionForm(ActionForm):
    year = forms.IntegerField(
        label=_("Year"), required=False, min_value=2000, max_value=2100, help_text=_("This year")
    )


def location_add_federal_holidays(*, location: Location, year: int) -> int:
    """Adds each US federal holiday of `year` (and its observed day) as a closure of the
    location; a day already closed is left as it is, so running it twice adds nothing.
    Returns how many closures were added."""
    days = holidays.country_holidays("US", years=year)
    taken = set(location.closures.filter(date__year=year).values_list("date", flat=True))
    new = [
        Closure(location=location, date=day, reason=str(name)[:120])
        for day, name in sorted(days.items())
        if day not in taken
    ]
    Closure.objects.bulk_create(new, ignore_conflicts=True)  # a closure typed meanwhile wins
    return len(new)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    form = LocationForm
    list_display = ["name", "city", "state", "time_zone", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ChairInline, OpeningHoursInline, ClosureInline, CourseRulesInline]
    action_form = HolidayActionForm
    actions = ["add_federal_holidays"]

    def save_formset(self, request, form, formset, change):
        # A closure deleted here is lifted through the service, which tells the waitlist.
        if formset.model is Closure:
            instances = formset.save(commit=False)
            for closure in formset.deleted_objects:
                closure_lift(closure=closure, by=request.user)
            for closure in instances:
                closure.save()
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description=_("Add US federal holidays as closures (year below)"))
    def add_federal_holidays(self, request, queryset):
        year = request.POST.get("year") or ""
        year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None
        if year is None:
            year = timezone.localdate().year
        for location in queryset:
            added = location_add_federal_holidays(location=location, year=year)
            self.message_user(
                request,
                _("%(location)s: %(n)d federal holiday(s) of %(year)d added as closures.")
                % {"location": location, "n": added, "year": year},
                messages.SUCCESS,
            )


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["location", "weekday", "opens_at", "closes_at"]
    list_filter = ["location"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["location", "day", "reason"]
    list_filter = ["location"]
    date_hierarchy = "date"

    @admin.display(description=_("date"), ordering="date")
    def day(self, obj):
        return format_date(obj.date, "D j M Y")

    # Deleting a closure lifts it through the service (the waitlist offers the day).
    def delete_model(self, request, obj):
        closure_lift(closure=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for closure in queryset.select_related("location"):
            closure_lift(closure=closure, by=request.user)


@admin.register(CourseRules)
class CourseRulesAdmin(admin.ModelAdmin):
    list_display = ["location"]


@admin.register(Chair)
class ChairAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "is_active"]
    list_filter = ["location", "is_active"]
    list_editable = ["is_active"]


@admin.register(StaffShift)
class StaffShiftAdmin(admin.ModelAdmin):
    """Shown and typed in the shift's location's zone (a Pasadena shift in Pacific time)."""

    list_display = ["clinician", "location", "starts", "ends", "monitoring_capacity"]
    list_filter = ["location"]
    list_select_related = ["clinician", "location"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["clinician"]

    @admin.display(description=_("starts at"), ordering="starts_at")
    def starts(self, obj):
        return format_date(obj.starts_at, "D j M Y, g:i A T", obj.location.time_zone)

    @admin.display(description=_("ends at"), ordering="ends_at")
    def ends(self, obj):
        return format_date(obj.ends_at, "g:i A T", obj.location.time_zone)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new shift goes through the service, which tells the waitlist of the capacity.
        shift = shift_add(
            location=obj.location,
            clinician=obj.clinician,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            monitoring_capacity=obj.monitoring_capacity,
            by=request.user,
        )
        obj.pk, obj.created_at, obj.updated_at = shift.pk, shift.created_at, shift.updated_at

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form's times are read and shown in the active zone: make it the location's.
        shift = self.get_object(request, object_id) if object_id else None
        if shift is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(shift.location.time_zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):  # a TemplateResponse renders later: do it here
                response.render()
            return response


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

    list_display = ["__str__", "location", "chair", "starts", "status", "late_change"]
    list_filter = ["status", "location", "late_change"]
    list_select_related = ["location", "chair"]
    date_hierarchy = "starts_at"

    @admin.display(description=_("starts at"), ordering="starts_at")
    def starts(self, obj):
        return format_date(obj.starts_at, "D j M Y, g:i A T", obj.location.time_zone)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
