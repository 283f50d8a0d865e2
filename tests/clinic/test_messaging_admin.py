"""Message templates edited in the admin are checked before they are saved; the change page
previews them in English and Spanish; a test send lands in the Outbox."""

import pytest

from clinic.messaging.models import Message, MessageTemplate
from clinic.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user, message_defaults):
    admin = make_user(
        role=Role.ADMIN,
        is_staff=True,
        is_superuser=True,
        email="admin@clinic.test",
        phone="+16175550177",
    )
    client.force_login(admin)
    client.admin = admin
    return client


def _edit(client, template, **changes):
    data = {
        "key": template.key,
        "channel": template.channel,
        "language": template.language,
        "subject": template.subject,
        "body": template.body,
        **changes,
    }
    return client.post(f"/admin/clinic/messagetemplate/{template.pk}/change/", data)


def _template(key="reminder_24h", channel="sms", language="en"):
    return MessageTemplate.objects.get(key=key, channel=channel, language=language)


@pytest.mark.parametrize(
    ("channel", "body", "error"),
    [
        ("sms", "Hi {{ patient_first_name }}! See you {{ day }}.", "{{ patient_first_name }}"),
        ("sms", "{{ sender_name }}: your infusion is {{ day }}.", "infusion"),
        ("sms", "{{ sender_name }}: su tratamiento es {{ day }}.", "tratamiento"),
        ("sms", "{{ sender_name }}: su MIGRAÑA {{ day }}.", "migrana"),
        ("sms", "{{ sender_name }}: " + "see you soon. " * 12 + "{{ day }}", "160 characters"),
        ("sms", "{% if day %}{{ day }}{% endif %}", "no {% %} tags"),
        ("sms", "{{ day|no_such_filter }}", "cannot be read"),
        (
            "voice",
            "Hello, this is {{ sender_name }}. {{ opt_out }} " + "Please listen. " * 70
            + "Call {{ clinic_phone }}.",
            "under a minute",
        ),
        ("voice", "Hello, this is {{ sender_name }}. See you {{ day }}.", "{{ opt_out }}"),
        ("voice", "{{ sender_name }}. {{ opt_out }} See you {{ day }}.", "{{ clinic_phone }}"),
    ],
)  # fmt: skip
def test_an_edit_that_breaks_a_rule_is_refused_with_a_clear_message(
    admin_client, channel, body, error
):
    template = _template(channel=channel)
    before = template.body
    response = _edit(admin_client, template, body=body)
    assert response.status_code == 200  # the form again, with the error
    page = response.content.decode()
    assert error.replace("{", "&#x7B;") in page or error in page, page[:3000]
    template.refresh_from_db()
    assert template.body == before


def test_the_invitation_may_use_its_link_but_a_reminder_may_not(admin_client):
    invitation = _template(key="portal_invitation")
    ok = _edit(admin_client, invitation, body="{{ sender_name }}: set your password: {{ link }}")
    assert ok.status_code == 302
    refused = _edit(admin_client, _template(), body="{{ sender_name }}: {{ link }}")
    assert refused.status_code == 200 and "{{ link }}" in refused.content.decode()


def test_a_good_edit_is_saved(admin_client):
    template = _template()
    body = "{{ sender_name }}: see you {{ day }} at {{ time }}. Questions: {{ clinic_phone }}."
    assert _edit(admin_client, template, body=body).status_code == 302
    template.refresh_from_db()
    assert template.body == body


def test_the_change_page_previews_a_sample_in_english_and_spanish(admin_client):
    page = admin_client.get(f"/admin/clinic/messagetemplate/{_template().pk}/change/")
    text = page.content.decode()
    assert "English" in text and "Español" in text
    assert "tomorrow, Wed, Sep 30" in text  # the sample date, in English
    assert "mañana, mié 30 sep" in text.lower()  # and in Spanish


def test_send_a_test_puts_a_message_to_the_admins_own_address_in_the_outbox(admin_client):
    email = _template(key="reminder_24h", channel="email", language="es")
    sms = _template(key="reminder_24h", channel="sms", language="en")
    response = admin_client.post(
        "/admin/clinic/messagetemplate/",
        {"action": "send_test", "_selected_action": [email.pk, sms.pk]},
    )
    assert response.status_code == 302
    sent = {m.channel: m for m in Message.objects.filter(recipient=admin_client.admin)}
    assert sent["email"].to_address == "admin@clinic.test"
    assert sent["email"].language == "es" and "Recordatorio" in sent["email"].subject
    assert sent["sms"].to_address == "+16175550177"
    outbox = admin_client.get("/messaging/outbox/").content.decode()
    assert "Recordatorio" in outbox
