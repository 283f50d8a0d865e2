from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.errors import ApplicationError
from clinic.forms import AccessibleFormMixin, AsciiIntegerField

from .instruments import Instrument

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label):
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        required=False,
        empty_value=False,
    )


class DiaryDayForm(AccessibleFormMixin, forms.Form):
    """Today's diary. "No headache" needs nothing else; with a headache, the worst pain (1-10)."""

    headache = forms.TypedChoiceField(
        label=_("Did you have a headache today?"),
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    migraine = _yes_no(_("Was it a migraine?"))
    worst_pain = AsciiIntegerField(
        label=_("Worst pain, from 1 (mild) to 10 (worst possible)"),
        min_value=0,
        max_value=10,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 10}),
    )
    acute_medication = _yes_no(_("Did you take medicine for a headache today?"))

    def clean(self):
        data = super().clean()
        if data.get("headache") is False:
            data["migraine"] = False
            data["worst_pain"] = 0
        elif data.get("headache") and not data.get("worst_pain"):
            self.add_error("worst_pain", _("Rate the worst pain of your headache from 1 to 10."))
        return data


class QuestionnaireForm(AccessibleFormMixin, forms.Form):
    """The instrument's questions as whole-number fields; the instrument checks the bounds and
    scores them on the server."""

    def __init__(self, *args, instrument: Instrument, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for question in instrument.questions:
            self.fields[question.key] = forms.CharField(
                label=question.text(language),
                max_length=3,
                strip=True,
                widget=forms.TextInput(
                    attrs={"inputmode": "numeric", "pattern": "[0-9]*", "size": 3}
                ),
                help_text=_("Days, from %(low)s to %(high)s.")
                % {"low": question.minimum, "high": question.maximum},
            )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["answers"] = self.instrument.clean(data)
        except ApplicationError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data
