from django.contrib import admin

from .models import Chair, Location


class ChairInline(admin.TabularInline):
    model = Chair
    extra = 0


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "state", "time_zone", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ChairInline]


@admin.register(Chair)
class ChairAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "is_active"]
    list_filter = ["location", "is_active"]
