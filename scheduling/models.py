from django.db import models
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
                fields=["location", "name"], name="chair_name_unique_per_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.location} · {self.name}"
