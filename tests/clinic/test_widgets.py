"""includes/_widgets.html: a text input and a select written in Jinja2 give the same HTML as
Django's form renderer ({{ form.field }}), in every state a field can be in: unbound, bound to
any text, with errors (Django's aria-invalid and aria-describedby, or AccessibleFormMixin's),
required, disabled, with the widget's own attributes, grouped choices."""

from django import forms
from django.template import engines
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from clinic.forms import AccessibleFormMixin

STATUSES = [("", "Any status"), ("received", "Received"), ("declined", "Declined by <them>")]


class FilterForm(forms.Form):
    """The shape of the lists' filter forms (the provider's ReferralFilterForm)."""

    status = forms.ChoiceField(required=False, label="Status", choices=STATUSES)
    q = forms.CharField(required=False, max_length=100, label="Name or reference")


class EveryStateForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "spellcheck": False}
        ),
    )
    email = forms.EmailField(required=False, disabled=True)
    phone = forms.CharField(required=False, widget=forms.TextInput(attrs={"aria-describedby": "x"}))
    kind = forms.ChoiceField(
        choices=[
            (None, "Choose"),
            ("Drugs", [("k", "Ketamine"), ("l", "Lidocaine & more")]),
            ("o", "Other"),
        ]
    )
    count = forms.IntegerField(required=False, localize=True)


def jinja(source: str, **context) -> str:
    template = engines["jinja2"].from_string(
        '{% import "includes/_widgets.html" as widgets %}' + source
    )
    return template.render(context)


def django_spelling(html: str) -> str:
    """Jinja2 escapes ' and " as &#39; and &#34;, Django as &#x27; and &quot;: the same
    characters to a browser (the form renderer's widget templates are Jinja2's too)."""
    return html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")


def assert_same(form: forms.Form) -> None:
    for name, field in form.fields.items():
        macro = "select" if isinstance(field.widget, forms.Select) else "input"
        ours = django_spelling(jinja(f"{{{{ widgets.{macro}(field) }}}}", field=form[name]))
        assert ours == django_spelling(str(form[name])), name


def test_an_unbound_filter_form_is_the_same():
    assert_same(FilterForm())


def test_a_filter_form_with_a_choice_and_a_search_is_the_same():
    form = FilterForm({"status": "declined", "q": 'O\'Neil "<b>" & co'})
    assert form.is_valid()
    assert_same(form)
    html = jinja("{{ widgets.select(form['status']) }}", form=form)
    assert '<option value="declined" selected>Declined by &lt;them&gt;</option>' in html


def test_a_filter_form_with_errors_marks_the_fields_as_django_does():
    form = FilterForm({"status": "nonsense", "q": "x" * 101})
    assert not form.is_valid()
    assert_same(form)
    html = jinja("{{ widgets.input(form['q']) }}", form=form)
    assert 'aria-invalid="true" aria-describedby="id_q_error"' in html


@given(
    status=st.one_of(st.sampled_from([c for c, _label in STATUSES]), st.text()),
    q=st.text(),
    absent=st.sampled_from(["", "status", "q"]),
)
def test_any_input_renders_the_same(status, q, absent):
    data = {"status": status, "q": q}
    data.pop(absent, None)
    form = FilterForm(data)
    form.is_valid()
    assert_same(form)


def test_required_disabled_grouped_localized_and_accessible_errors_are_the_same():
    assert_same(EveryStateForm())
    assert_same(EveryStateForm(initial={"kind": "l", "count": 1234}))
    with translation.override("es"):
        invalid = EveryStateForm({"name": "", "kind": "zz", "count": "abc"})
        assert not invalid.is_valid()  # AccessibleFormMixin's own aria attributes
        assert_same(invalid)
        valid = EveryStateForm({"name": "Ana", "kind": "k", "count": "1234"})
        assert valid.is_valid()
        assert_same(valid)
