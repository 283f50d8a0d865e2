"""Where infusions happen: locations, their chairs, opening hours and closed days."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from timezone_field import TimeZoneField

from clinic.models import TimeStampedModel


class Location(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(unique=True)
    time_zone = TimeZoneField(_("time zone"), use_pytz=False)
    address_line = models.CharField(_("street address"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(_("state"), max_length=2)
    zip_code = models.CharField(_("ZIP code"), max_length=10)
    phone = PhoneNumberField(_("phone"), blank=True)
    is_active = models.BooleanField(_("accepting patients"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Chair(TimeStampedModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="chairs")
    name = models.CharField(_("name"), max_length=60)
    is_active = models.BooleanField(
        _("in service"), default=True, help_text=_("Untick while a chair is out of service.")
    )

    class Meta:
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"],
                name="chair_name_unique_per_location",
                violation_error_message=_("This location already has a chair with this name."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.location} · {self.name}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """Wall-clock hours in the location's own zone; a weekday without a row is closed."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["location", "weekday"]
        verbose_name_plural = _("opening hours")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "weekday"],
                name="hours_one_per_weekday",
                violation_error_message=_(
                    "This location already has opening hours for this weekday."
                ),
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="hours_close_after_open",
                violation_error_message=_("The closing time must be after the opening time."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6),
                name="hours_weekday_valid",
                violation_error_message=_("Choose a weekday."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Closure(models.Model):
    """A whole local day the location is closed (a holiday, a one-off day)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        ordering = ["location", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "date"],
                name="closure_one_per_day",
                violation_error_message=_("This location is already closed on this day."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.location}: {self.date} {self.reason}".strip()
