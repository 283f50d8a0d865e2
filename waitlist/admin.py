from django.contrib import admin

from .models import WaitlistRules


@admin.register(WaitlistRules)
class WaitlistRulesAdmin(admin.ModelAdmin):
    """How long each round of waitlist offers holds a freed time, and for how many patients."""

    list_display = ["location", "offer_minutes", "group_size"]
