"""Staff pages speak Spanish too: every word the templates and the portal's Python ask for is in
the Spanish catalogue (clinic/management/commands/jinja2_messages.py keeps it so), each template
word has a translation, and a coordinator who switches reads the queue in Spanish. The error
pages (403, 404) are in the portal's layout and the visitor's language."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import engines
from django.urls import reverse
from django.utils import translation

from clinic.models import Role
from tests.clinic.test_templates import portal_templates
from tests.factories.users import UserFactory

# Words that are the same in both languages.
SAME_IN_SPANISH = {
    "Total",
    "Email",
    "CSV",
    "NPI",
    "TIN",
    "PDF",
    "OK",
    "Fax",
    "Propranolol",
    "Metoprolol",
    "No",
    "CPT/HCPCS",  # code sets, named alike in Spanish
}


def test_the_catalogue_lacks_nothing_the_portal_asks_for():
    call_command("jinja2_messages", "--check")  # raises CommandError naming what is missing


def test_every_template_word_has_a_spanish_translation():
    env = engines["jinja2"].env
    untranslated = set()
    with translation.override("es"):
        for name in portal_templates():
            source = env.loader.get_source(env, name)[0]
            for _line, function, message in env.extract_translations(source):
                parts = message if isinstance(message, tuple) else (message,)
                if function in ("pgettext", "npgettext"):
                    spanish = translation.pgettext(parts[0], parts[1])
                    msgid = parts[1]
                elif function == "ngettext":
                    msgid = parts[0]
                    spanish = translation.ngettext(parts[0], parts[1], 1)
                elif isinstance(parts[0], str):
                    msgid = parts[0]
                    spanish = translation.gettext(msgid)
                else:
                    continue
                if spanish == msgid and msgid not in SAME_IN_SPANISH and msgid.strip():
                    untranslated.add((name, msgid))
    assert not untranslated, sorted(untranslated)


@pytest.mark.django_db
def test_a_coordinator_reads_the_queue_in_spanish(client):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    page = client.get(reverse("intake:queue")).content.decode()
    assert 'lang="es"' in page
    assert "Siguiente llamada" in page and "Cola de llamadas" in page
    assert "Next call" not in page


@pytest.mark.django_db
def test_the_menu_follows_the_language_from_one_page_to_the_next(client):
    """The menu and the templates' words are translated once per language in each process
    (clinic.context_processors, clinic.formatting.gettext): switching back and forth shows
    each language's own."""
    client.force_login(UserFactory(role=Role.COORDINATOR))
    queue = reverse("intake:queue")
    for language, menu, button, other in [
        ("en", "Call queue", "Next call", "Cola de llamadas"),
        ("es", "Cola de llamadas", "Siguiente llamada", "Call queue"),
        ("en", "Call queue", "Next call", "Siguiente llamada"),
    ]:
        client.post(reverse("set_language"), {"language": language, "next": "/"})
        page = client.get(queue).content.decode()
        assert f'<a href="{queue}" aria-current="page">{menu}</a>' in page
        assert button in page and other not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["You cannot open this page", "Go to your home page"]),
        ("es", ["No puede abrir esta página", "Ir a su página de inicio"]),
    ],
)
def test_403_is_a_page_in_the_users_language(client, language, words):
    client.force_login(UserFactory(role=Role.CLINICIAN))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("intake:queue"))
    assert response.status_code == 403
    page = response.content.decode()
    assert f'lang="{language}"' in page and all(w in page for w in words)
    assert 'href="/"' in page and "pico.min.css" in page  # the portal's layout, a way back


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["Page not found", "Go to your home page"]), ("es", ["Página no encontrada"])],
)
def test_404_is_a_page_in_the_users_language(client, language, words):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert (
        all(w in page for w in words) and "Cola de llamadas" in page if language == "es" else True
    )


def test_500_renders_without_database_static_files_or_request():
    from django.template import loader

    with translation.override("es"):
        page = loader.get_template("500.html").render({"sender_name": "Harbor Clinic"})
    assert "Algo salió mal" in page and "<link" not in page and 'href="/"' in page
