"""The template engines (settings.TEMPLATES, clinic/jinja2.py): every portal template is Jinja2 and
only Jinja2; its words are in the Spanish catalogue; pages escape, plain-text e-mails do not."""

import ast
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import mail
from django.template import TemplateDoesNotExist, engines
from django.template.loader import get_template, render_to_string
from django.test import override_settings
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix
from django.utils import translation
from jinja2 import Environment

import clinic.jinja2
import clinic.paths

ROOT = Path(settings.BASE_DIR)


def portal_templates() -> list[str]:
    return sorted(
        str(path.relative_to(folder))
        for folder in settings.PORTAL_TEMPLATE_DIRS
        for path in Path(folder).rglob("*")
        if path.is_file()
    )


def test_every_portal_template_is_jinja2_and_only_jinja2():
    names = portal_templates()
    assert "base.html" in names and "intake/partials/_queue_rows.html" in names
    portal = [Path(folder).resolve() for folder in settings.PORTAL_TEMPLATE_DIRS]
    for name in names:
        assert get_template(name).backend.name == "jinja2", name  # compiles, and Jinja2 first
        try:  # Django's engine never reads the portal's folders (the admin has its own
            # registration/password_reset_*.html, never asked for while the portal's exist).
            origin = Path(engines["django"].get_template(name).origin.name).resolve()
        except TemplateDoesNotExist:
            continue
        assert not any(origin.is_relative_to(folder) for folder in portal), name
    # Django's own apps keep Django's template language.
    assert get_template("admin/index.html").backend.name == "django"


def _catalogue() -> list[tuple[str | None, str, list[str]]]:
    """(msgctxt, msgid, the files it was found in) of every entry of the Spanish catalogue."""
    entries, fields, key, files = [], {}, None, []
    lines = (ROOT / "locale/es/LC_MESSAGES/django.po").read_text().splitlines() + [""]
    for line in lines:
        if line.startswith("#: "):
            files += [ref.rsplit(":", 1)[0] for ref in line[3:].split()]
        elif line.startswith(('msgctxt "', 'msgid "', 'msgid_plural "', "msgstr")):
            if line.startswith(("msgctxt", 'msgid "')) and "msgid" in fields:  # no blank line
                entries.append((fields.get("msgctxt"), fields["msgid"], files))
                fields, files = {}, []
            key, _, literal = line.partition(" ")
            fields[key] = "" if key.startswith("msgstr") else ast.literal_eval(literal)
        elif line.startswith('"') and key and not key.startswith("msgstr"):
            fields[key] += ast.literal_eval(line)
        elif not line.strip():
            if "msgid" in fields:
                entries.append((fields.get("msgctxt"), fields["msgid"], files))
            fields, key, files = {}, None, []
    return entries


def test_the_templates_ask_for_the_words_the_catalogue_translates():
    """The Jinja2 templates ask gettext for the very msgids the Django templates did (the same
    `%(name)s` placeholders, the same contexts), so the Spanish catalogue keeps translating the
    pages: every entry the catalogue found only in templates is still asked for by one."""
    env = engines["jinja2"].env
    asked = set()
    for name in portal_templates():
        source = env.loader.get_source(env, name)[0]
        for _line, function, message in env.extract_translations(source):
            parts = message if isinstance(message, tuple) else (message,)
            if function in ("pgettext", "npgettext"):
                asked.add((parts[0], parts[1]))
            else:
                asked.add((None, parts[0]))
    only_in_templates = [
        (context, msgid)
        for context, msgid, files in _catalogue()
        if files and all(f.endswith((".html", ".txt")) for f in files)
    ]
    assert len(only_in_templates) > 300
    missing = [entry for entry in only_in_templates if entry not in asked]
    assert not missing, missing


def test_pages_escape_and_plain_text_mails_do_not():
    provider = SimpleNamespace(get_full_name=lambda: "Smith & <Jones>")
    context = {
        "provider": provider,
        "referral": SimpleNamespace(reference="R-1"),
        "sender_name": "A&B",
    }
    with translation.override("en"):
        text = render_to_string("intake/email/referral_received.txt", context)
    assert text.startswith("Dear Smith & <Jones>,\n") and "A&B has received" in text
    page = engines["jinja2"].from_string("<p>{{ name }}</p>").render({"name": "<b>&"})
    assert page == "<p>&lt;b&gt;&amp;</p>"


def test_translations_and_plurals_follow_the_active_language():
    template = engines["jinja2"].from_string(
        '{{ _("Sign in") }}|{% trans service="IV", n=n %}A course of {{ n }} '
        "infusion: {{ service }}{% pluralize n %}A course of {{ n }} infusions: {{ service }}"
        "{% endtrans %}|"
        '{{ pgettext("course counts", "Booked") }}'
    )
    with translation.override("en"):
        assert template.render({"n": 2}) == "Sign in|A course of 2 infusions: IV|Booked"
    with translation.override("es"):
        expected = "Iniciar sesión|Un tratamiento de 1 infusión: IV|Reservadas"
        assert template.render({"n": 1}) == expected


# What clinic.jinja2.gettext (one call for `_` and `{% trans %}`) must give exactly as Jinja2's
# own new-style gettext does: variables escaped where the template escapes, "%%" as "%".
GETTEXT_SOURCES = [
    '{{ _("Sign in") }}',
    '{{ _("Patient\'s time zone") }}',  # marked safe: not "Patient&#39;s"
    '{{ _("Sign in") ~ name }}',
    '{{ _("100%% sure") }}',
    "{% trans %}Skip to content{% endtrans %}",
    "{% trans %}50% of {{ name }}{% endtrans %}",
    "{% trans clinic_phone=name %}Questions? Call the clinic at {{ clinic_phone }}.{% endtrans %}",
    '{{ _("Questions? Call the clinic at %(clinic_phone)s.", clinic_phone=name) }}',
    "{% trans n=n %}{{ n }} attempt{% pluralize n %}{{ n }} attempts{% endtrans %}",
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("escaping", [True, False])
@pytest.mark.parametrize("source", GETTEXT_SOURCES)
def test_words_are_exactly_those_jinja2s_own_gettext_gives(source, escaping, language):
    theirs = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    theirs.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=translation.gettext, ngettext=translation.ngettext, newstyle=True
    )
    if not escaping:  # as in a plain-text e-mail
        source = f"{{% autoescape false %}}{source}{{% endautoescape %}}"
    context = {"name": "<b>Ana & Co</b> 10%", "n": 2}
    with translation.override(language):
        expected = theirs.from_string(source).render(context)
        assert engines["jinja2"].env.from_string(source).render(context) == expected
    assert ("&lt;b&gt;" in expected) == (escaping and "name" in source)


@pytest.mark.django_db
def test_the_password_reset_mail_is_plain_text(client, make_user):
    user = make_user(email="reset.me@example.com")
    client.post(reverse("password_reset"), {"email": user.email})
    (message,) = mail.outbox
    assert message.subject == "Reset your password"
    lines = message.body.splitlines()
    assert lines[0] == "Someone asked to reset the password of your clinic portal account."
    assert lines[3].startswith("http://testserver/accounts/reset/") and "&amp;" not in message.body


@pytest.mark.django_db
def test_a_page_of_forms_carries_one_csrf_token(rf):
    request = rf.get("/")
    page = engines["jinja2"].from_string("{{ csrf_input }}|{{ csrf_input }}|{{ csrf_token }}")
    first, second, token = page.render(request=request).split("|")
    assert first == second == f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    assert len(token) == 64


@pytest.mark.parametrize(
    ("viewname", "value"),
    [
        ("intake:call_screen", 7),
        ("intake:patient_chart", 1234567),
        ("intake:referral_chart", "R-2026-00042"),
        ("intake:referral_chart", "R 42?é&x"),  # other characters: reversed, as url() does
        ("scheduling:staff_session_status", 0),
    ],
)
def test_url_for_each_gives_the_links_url_gives(viewname, value):
    link = engines["jinja2"].env.globals["url_for_each"](viewname)
    assert link(value) == reverse(viewname, args=[value])


@pytest.mark.parametrize("value", [7, 1234567, "x y"])
@pytest.mark.parametrize("kind", ["no_show", "correct_no_show", "cancel"])
def test_url_for_each_takes_the_arguments_after_the_rows(kind, value):
    link = engines["jinja2"].env.globals["url_for_each"]("scheduling:session_confirm", kind)
    if value == "x y":  # not an id: the URL does not match, as url() would fail too
        with pytest.raises(NoReverseMatch):
            link(value)
        return
    assert link(value) == reverse("scheduling:session_confirm", args=[value, kind])


def test_every_scrolling_table_can_be_reached_and_scrolled_from_the_keyboard():
    """A table wider than a phone scrolls inside its .table-wrap; a keyboard user reaches it
    only if the wrapper is focusable, and a screen reader names it only with a label (axe's
    scrollable-region-focusable, found on the chart's payments table at 390 px)."""
    wrappers = [
        (folder, line)
        for folder in settings.PORTAL_TEMPLATE_DIRS
        for path in Path(folder).rglob("*.html")
        for line in path.read_text().splitlines()
        if 'class="table-wrap"' in line
    ]
    assert len(wrappers) > 10
    for folder, line in wrappers:
        assert 'tabindex="0" role="region" aria-label' in line, (folder, line)  # or -labelledby


@pytest.fixture
def reverses(monkeypatch):
    """The views clinic.paths (and url()) reverse from now on, in order, with nothing kept
    from earlier tests."""
    calls = []

    def counting_reverse(viewname, *args, **kwargs):
        calls.append(viewname)
        return reverse(viewname, *args, **kwargs)

    monkeypatch.setattr(clinic.paths, "_PATHS", {})
    monkeypatch.setattr(clinic.paths, "_AROUND", {})
    monkeypatch.setattr(clinic.paths, "reverse", counting_reverse)
    monkeypatch.setattr(clinic.jinja2, "reverse", counting_reverse)
    return calls


@contextmanager
def script_prefix(prefix: str):
    """A deployment below a path (/portal/), for the time of the block."""
    before = get_script_prefix()
    set_script_prefix(prefix)
    try:
        yield
    finally:
        set_script_prefix(before)


def test_a_link_without_arguments_is_reversed_once_per_prefix_and_urlconf(reverses):
    """url('home') and the navigation's links: reverse() once, then the same answer for every
    page, except under another script prefix (a deployment below /portal/) or URLconf."""
    url = engines["jinja2"].env.globals["url"]
    assert [url("billing:gfe_rights") for _ in range(3)] == [reverse("billing:gfe_rights")] * 3
    assert reverses == ["billing:gfe_rights"]
    assert url("intake:referral_chart", "R-1") == reverse("intake:referral_chart", args=["R-1"])
    with script_prefix("/portal/"):
        assert url("billing:gfe_rights") == reverse("billing:gfe_rights")
        assert url("billing:gfe_rights").startswith("/portal/")
    with override_settings(ROOT_URLCONF="bench.urls"):
        url("billing:gfe_rights")
    assert reverses == ["billing:gfe_rights", "intake:referral_chart"] + ["billing:gfe_rights"] * 2


def test_a_rows_link_is_reversed_once_per_view_prefix_and_urlconf(reverses):
    """url_for_each's path, and the day view's chart links (clinic.paths.path_around): reverse()
    once per view and fixed arguments, again under another script prefix or URLconf."""
    each = engines["jinja2"].env.globals["url_for_each"]
    for _ in range(3):
        assert each("intake:patient_chart")(42) == reverse("intake:patient_chart", args=[42])
        assert each("scheduling:session_confirm", "no_show")(7) == reverse(
            "scheduling:session_confirm", args=[7, "no_show"]
        )
    assert reverses == ["intake:patient_chart", "scheduling:session_confirm"]
    head, tail = clinic.paths.path_around("intake:patient_chart")
    assert f"{head}42{tail}" == reverse("intake:patient_chart", args=[42])
    with script_prefix("/portal/"):
        assert each("intake:patient_chart")(42).startswith("/portal/")
    with override_settings(ROOT_URLCONF="bench.urls"):
        each("intake:patient_chart")
    assert (
        reverses
        == ["intake:patient_chart", "scheduling:session_confirm"] + ["intake:patient_chart"] * 2
    )


@pytest.mark.parametrize(
    ("viewname", "value"),
    [
        ("intake:call_screen", 7),
        ("intake:attachment_download", 1234567),
        ("intake:referral_chart", "R-2026-00042"),
        ("intake:referral_chart", "R 42?é&x"),  # other characters: reversed as they are
        ("billing:superbill", 0),  # an argument in the middle of the path
    ],
)
def test_path_with_gives_the_path_reverse_gives(viewname, value):
    assert clinic.paths.path_with(viewname, value) == reverse(viewname, args=[value])


def test_a_link_with_one_argument_is_reversed_once_per_prefix_and_urlconf(reverses):
    """clinic.paths.path_with (the chart's links): the path around the argument is reversed
    once, then built for every value, except under another script prefix or URLconf."""
    path_with = clinic.paths.path_with
    assert [path_with("billing:gfe", n) for n in (1, 2, 3)] == [
        reverse("billing:gfe", args=[n]) for n in (1, 2, 3)
    ]
    assert reverses == ["billing:gfe"]
    with script_prefix("/portal/"):
        assert (
            path_with("billing:gfe", 4)
            == "/portal/estimates/4/"
            == reverse("billing:gfe", args=[4])
        )
    assert reverses == ["billing:gfe"] * 2
