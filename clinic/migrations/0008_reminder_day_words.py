# The 24-hour and 2-hour reminders name the day from the day they are sent ({{ day }}): a 2-hour
# reminder moved into calling hours leaves the evening before and must not say "today".
# Only rows still holding the old default words change; a clinic's own edits are kept.
from django.db import migrations, models

# (key, channel, language, old subject, old body, new subject, new body)
CHANGES = [
    (
        "reminder_24h",
        "sms",
        "en",
        "",
        "{{ sender_name }}: reminder, your appointment is tomorrow, {{ date }} at {{ time }}. Reply C to confirm or call {{ clinic_phone }}.",
        "",
        "{{ sender_name }}: reminder, your appointment is {{ day }} at {{ time }}. Reply C to confirm or call {{ clinic_phone }}.",
    ),
    (
        "reminder_24h",
        "sms",
        "es",
        "",
        "{{ sender_name }}: su cita es manana, {{ date }} a las {{ time }}. Responda C para confirmar o llame al {{ clinic_phone }}.",
        "",
        "{{ sender_name }}: su cita es {{ day }} a las {{ time }}. Responda C para confirmar o llame al {{ clinic_phone }}.",
    ),
    (
        "reminder_24h",
        "voice",
        "en",
        "",
        "Hello, this is {{ sender_name }}. A reminder that your appointment is tomorrow, {{ date }} at {{ time }}. Press 1 to confirm. Press 2 if you would like us to call you back.",
        "",
        "Hello, this is {{ sender_name }}. A reminder that your appointment is {{ day }} at {{ time }}. Press 1 to confirm. Press 2 if you would like us to call you back.",
    ),
    (
        "reminder_24h",
        "voice",
        "es",
        "",
        "Hola, le llama {{ sender_name }}. Le recordamos que su cita es mañana, {{ date }} a las {{ time }}. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos.",
        "",
        "Hola, le llama {{ sender_name }}. Le recordamos que su cita es {{ day }} a las {{ time }}. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos.",
    ),
    (
        "reminder_24h",
        "email",
        "en",
        "Reminder: your appointment tomorrow",
        "Hello,\n\nA reminder that your appointment at {{ sender_name }} is tomorrow, {{ date }} at {{ time }}.\n\nQuestions? Call us at {{ clinic_phone }}.\n",
        "Reminder: your appointment {{ day }}",
        "Hello,\n\nA reminder that your appointment at {{ sender_name }} is {{ day }} at {{ time }}.\n\nQuestions? Call us at {{ clinic_phone }}.\n",
    ),
    (
        "reminder_24h",
        "email",
        "es",
        "Recordatorio: su cita de mañana",
        "Hola:\n\nLe recordamos que su cita en {{ sender_name }} es mañana, {{ date }} a las {{ time }}.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
        "Recordatorio: su cita es {{ day }}",
        "Hola:\n\nLe recordamos que su cita en {{ sender_name }} es {{ day }} a las {{ time }}.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
    ),
    (
        "reminder_2h",
        "sms",
        "en",
        "",
        "{{ sender_name }}: see you today at {{ time }}. Remember your driver home. Questions: {{ clinic_phone }}.",
        "",
        "{{ sender_name }}: see you {{ day }} at {{ time }}. Remember your driver home. Questions: {{ clinic_phone }}.",
    ),
    (
        "reminder_2h",
        "sms",
        "es",
        "",
        "{{ sender_name }}: le esperamos hoy a las {{ time }}. Recuerde venir con quien le lleve a casa. Dudas: {{ clinic_phone }}.",
        "",
        "{{ sender_name }}: le esperamos {{ day }} a las {{ time }}. Recuerde venir con quien le lleve a casa. Dudas: {{ clinic_phone }}.",
    ),
    (
        "reminder_2h",
        "voice",
        "en",
        "",
        "Hello, this is {{ sender_name }}. We will see you today at {{ time }}. Remember your driver home. Press 1 to confirm. Press 2 if you would like us to call you back.",
        "",
        "Hello, this is {{ sender_name }}. We will see you {{ day }} at {{ time }}. Remember your driver home. Press 1 to confirm. Press 2 if you would like us to call you back.",
    ),
    (
        "reminder_2h",
        "voice",
        "es",
        "",
        "Hola, le llama {{ sender_name }}. Le esperamos hoy a las {{ time }}. Recuerde venir con quien le lleve a casa. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos.",
        "",
        "Hola, le llama {{ sender_name }}. Le esperamos {{ day }} a las {{ time }}. Recuerde venir con quien le lleve a casa. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos.",
    ),
    (
        "reminder_2h",
        "email",
        "en",
        "See you today at {{ time }}",
        "Hello,\n\nWe will see you today at {{ time }} at {{ sender_name }}. Remember to bring someone to drive you home.\n\nQuestions? Call us at {{ clinic_phone }}.\n",
        "See you {{ day }} at {{ time }}",
        "Hello,\n\nWe will see you {{ day }} at {{ time }} at {{ sender_name }}. Remember to bring someone to drive you home.\n\nQuestions? Call us at {{ clinic_phone }}.\n",
    ),
    (
        "reminder_2h",
        "email",
        "es",
        "Le esperamos hoy a las {{ time }}",
        "Hola:\n\nLe esperamos hoy a las {{ time }} en {{ sender_name }}. Recuerde venir con alguien que le lleve a casa.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
        "Le esperamos {{ day }} a las {{ time }}",
        "Hola:\n\nLe esperamos {{ day }} a las {{ time }} en {{ sender_name }}. Recuerde venir con alguien que le lleve a casa.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
    ),
]


def forwards(apps, schema_editor):
    MessageTemplate = apps.get_model("clinic", "MessageTemplate")
    for key, channel, language, old_subject, old_body, subject, body in CHANGES:
        MessageTemplate.objects.filter(
            key=key, channel=channel, language=language, subject=old_subject, body=old_body
        ).update(subject=subject, body=body)


def backwards(apps, schema_editor):
    MessageTemplate = apps.get_model("clinic", "MessageTemplate")
    for key, channel, language, old_subject, old_body, subject, body in CHANGES:
        MessageTemplate.objects.filter(
            key=key, channel=channel, language=language, subject=subject, body=body
        ).update(subject=old_subject, body=old_body)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0007_audit_event"),
    ]

    operations = [
        migrations.AlterField(
            model_name="messagetemplate",
            name="body",
            field=models.TextField(
                help_text="Words you can use: {{ sender_name }}, {{ clinic_phone }}, {{ date }}, {{ time }} (with its time zone) and {{ day }} (today, tomorrow and the date, or on the date, as seen on the day it is sent). Name no drug, diagnosis or treatment; texts fit in 160 characters.",
                verbose_name="text",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
