from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.forms import BoundField
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class PortalFormRenderer(Jinja2):
    """Fields drawn with the Jinja2 widget templates Django ships (the same HTML as its own), as
    the pages are: Django's template language cost more than the rest of a small form page
    (settings.FORM_RENDERER). A widget that has no Jinja2 template (the admin's) is drawn from
    Django's as before."""

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)

    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()


class AsciiIntegerField(forms.IntegerField):
    """A whole number typed in 0-9 only. Django's IntegerField also reads "١٢" or "１２" (int()
    does), which the rest of the portal, and people reading the record, do not expect."""

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if text and not text.isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class DatePickerInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO (2026-12-06), whatever the page's
    language: Django writes a date in the language's own format (06/12/2026 in Spanish), which
    the picker refuses and shows empty, so a Spanish page lost the day it was showing."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimePickerInput(forms.DateTimeInput):
    """The browser's date-and-time picker, its value ISO to the minute (2026-12-06T14:30) in
    every language (Django's default, "2026-12-06 14:30:00", is refused by the picker too)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class ShortListIterator(ModelChoiceIterator):
    """The choices as plain (id, label) rows of one query. Django's default iterates a
    server-side cursor (DECLARE ... WITH HOLD, FETCH, CLOSE: three round trips) to spare memory
    on a long list, and builds a whole row for each choice (a location's phone number parsed,
    its zone looked up) to show its name; the portal's choice lists are a handful of rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.field.choice_rows()


class ShortModelChoiceField(forms.ModelChoiceField):
    """A choice among a few rows (the locations): listed in one plain query, and chosen by an
    id in 0-9 only. Django's would take "１" or "١" for 1 (int() reads them), which no option
    of the list sends."""

    iterator = ShortListIterator
    label_field = "name"  # what each choice shows (its model's __str__)

    def choice_rows(self) -> list[tuple]:
        """The (value, label) rows, read once per form (a page may list them twice, as Django's
        own list reads its queryset once), again if the queryset is replaced."""
        queryset = self.queryset
        if getattr(self, "_rows_of", None) is not queryset:
            value = self.to_field_name or "pk"  # what each option sends (the referral's: a slug)
            self._rows = list(queryset.values_list(value, self.label_field))
            self._rows_of = queryset
        return self._rows

    def to_python(self, value):
        if isinstance(value, str) and not value.strip().isascii():
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


class ListedIdField(forms.ChoiceField):
    """A choice among rows a view has already read as (id, label) pairs, with the rest of its
    page in one statement (scheduling.day_page): it takes an id as a ModelChoiceField of those
    rows did (what int() reads, in 0-9 only: "007" and " 7" are 7, "１" is nothing) and refuses
    with its words."""

    default_error_messages = {
        "invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"]
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            if not str(value).strip().isascii():
                raise ValueError(value)
            return int(value)
        except (TypeError, ValueError):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None

    def validate(self, value):
        forms.Field.validate(self, value)  # required; then listed (ChoiceField lets 0 through)
        if value is not None and not any(value == pk for pk, _label in self.choices):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )


class AccessibleFormMixin:
    """Ties each error to its field for screen readers (aria-invalid, aria-describedby), so the
    shared field template can show the message beside the input it is about."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{bound.auto_id}-error"


class SignInForm(AccessibleFormMixin, AuthenticationForm):
    username = forms.CharField(
        label=_("E-mail or mobile phone"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "That e-mail or phone and password do not match an account. Check both and try again."
        ),
        "inactive": _("This account is not active yet. Use the link in your invitation."),
    }


def widget_attrs(field: BoundField) -> dict:
    """The attributes Django's form renderer gives `field`'s widget, in the same order
    (BoundField.as_widget, then Widget.get_context): the widget's own, then required, disabled,
    aria-invalid and aria-describedby as the field's state asks, then the id. For the Jinja2
    widgets of includes/_widgets.html, which write the same HTML without Django's template
    engine."""
    widget = field.field.widget
    if field.field.localize:
        widget.is_localized = True
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    attrs = widget.build_attrs(widget.attrs, attrs)
    if getattr(widget, "allow_multiple_selected", False):
        attrs["multiple"] = True
    return attrs
