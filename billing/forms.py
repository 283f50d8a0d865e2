from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.forms import AccessibleFormMixin, ShortModelChoiceField
from scheduling.models import Location

from .pricing import MAX_INFUSIONS

INFUSION_CHOICES = [(n, str(n)) for n in range(1, MAX_INFUSIONS + 1)]


class QuoteForm(AccessibleFormMixin, forms.Form):
    location = ShortModelChoiceField(
        label=_("Location"), queryset=Location.objects.filter(is_active=True), empty_label=None
    )
    infusions = forms.TypedChoiceField(
        label=_("Infusions in the course"), choices=INFUSION_CHOICES, coerce=int, initial=6
    )


class GfeRequestForm(AccessibleFormMixin, forms.Form):
    location = ShortModelChoiceField(
        label=_("Where you expect to be treated"),
        queryset=Location.objects.filter(is_active=True),
        empty_label=None,
    )
