# ruff: noqa: E501  (message texts read best on one line each)
# Every prerecorded call says how to stop calls (a key, {{ opt_out }}) right after saying who is
# calling, and the number to call back (47 CFR 64.1200(b)); 10 of the 12 default scripts gave no
# number. Only rows still holding the old default words change; a clinic's own edits are kept
# (the admin form now refuses a voice script without them).
from django.db import migrations

# (key, language, old body, new body), voice channel
CHANGES = [
    (
        'appointment_cancelled',
        'en',
        'Hello, this is {{ sender_name }}. Your appointment on {{ date }} at {{ time }} is cancelled. To book again, call {{ clinic_phone }}.',
        'Hello, this is {{ sender_name }}. {{ opt_out }} Your appointment on {{ date }} at {{ time }} is cancelled. To book again, call {{ clinic_phone }}.',
    ),
    (
        'appointment_cancelled',
        'es',
        'Hola, le llama {{ sender_name }}. Su cita del {{ date }} a las {{ time }} fue cancelada. Para otra cita llame al {{ clinic_phone }}.',
        'Hola, le llama {{ sender_name }}. {{ opt_out }} Su cita del {{ date }} a las {{ time }} fue cancelada. Para otra cita llame al {{ clinic_phone }}.',
    ),
    (
        'appointment_changed',
        'en',
        'Hello, this is {{ sender_name }}. Your appointment has moved to {{ date }} at {{ time }}. Press 1 to confirm. Press 2 if you would like us to call you back.',
        'Hello, this is {{ sender_name }}. {{ opt_out }} Your appointment has moved to {{ date }} at {{ time }}. Press 1 to confirm. Press 2 if you would like us to call you back. To reach us, call {{ clinic_phone }}.',
    ),
    (
        'appointment_changed',
        'es',
        'Hola, le llama {{ sender_name }}. Su cita ha cambiado al {{ date }} a las {{ time }}. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos.',
        'Hola, le llama {{ sender_name }}. {{ opt_out }} Su cita ha cambiado al {{ date }} a las {{ time }}. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos. Para hablar con nosotros, llame al {{ clinic_phone }}.',
    ),
    (
        'booking_confirmation',
        'en',
        'Hello, this is {{ sender_name }}. Your appointment is booked for {{ date }} at {{ time }}. Press 1 to confirm. Press 2 if you would like us to call you back.',
        'Hello, this is {{ sender_name }}. {{ opt_out }} Your appointment is booked for {{ date }} at {{ time }}. Press 1 to confirm. Press 2 if you would like us to call you back. To reach us, call {{ clinic_phone }}.',
    ),
    (
        'booking_confirmation',
        'es',
        'Hola, le llama {{ sender_name }}. Su cita es el {{ date }} a las {{ time }}. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos.',
        'Hola, le llama {{ sender_name }}. {{ opt_out }} Su cita es el {{ date }} a las {{ time }}. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos. Para hablar con nosotros, llame al {{ clinic_phone }}.',
    ),
    (
        'reminder_24h',
        'en',
        'Hello, this is {{ sender_name }}. A reminder that your appointment is {{ day }} at {{ time }}. Press 1 to confirm. Press 2 if you would like us to call you back.',
        'Hello, this is {{ sender_name }}. {{ opt_out }} A reminder that your appointment is {{ day }} at {{ time }}. Press 1 to confirm. Press 2 if you would like us to call you back. To reach us, call {{ clinic_phone }}.',
    ),
    (
        'reminder_24h',
        'es',
        'Hola, le llama {{ sender_name }}. Le recordamos que su cita es {{ day }} a las {{ time }}. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos.',
        'Hola, le llama {{ sender_name }}. {{ opt_out }} Le recordamos que su cita es {{ day }} a las {{ time }}. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos. Para hablar con nosotros, llame al {{ clinic_phone }}.',
    ),
    (
        'reminder_2h',
        'en',
        'Hello, this is {{ sender_name }}. We will see you {{ day }} at {{ time }}. Remember your driver home. Press 1 to confirm. Press 2 if you would like us to call you back.',
        'Hello, this is {{ sender_name }}. {{ opt_out }} We will see you {{ day }} at {{ time }}. Remember your driver home. Press 1 to confirm. Press 2 if you would like us to call you back. To reach us, call {{ clinic_phone }}.',
    ),
    (
        'reminder_2h',
        'es',
        'Hola, le llama {{ sender_name }}. Le esperamos {{ day }} a las {{ time }}. Recuerde venir con quien le lleve a casa. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos.',
        'Hola, le llama {{ sender_name }}. {{ opt_out }} Le esperamos {{ day }} a las {{ time }}. Recuerde venir con quien le lleve a casa. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos. Para hablar con nosotros, llame al {{ clinic_phone }}.',
    ),
    (
        'reminder_72h',
        'en',
        'Hello, this is {{ sender_name }}, reminding you of your appointment on {{ date }} at {{ time }}. Please arrange for someone to drive you home, do not drive for the rest of that day, and follow the fasting instructions you were given. Press 1 to confirm. Press 2 if you would like us to call you back.',
        'Hello, this is {{ sender_name }}. {{ opt_out }} A reminder of your appointment on {{ date }} at {{ time }}. Please arrange for someone to drive you home, do not drive for the rest of that day, and follow the fasting instructions you were given. Press 1 to confirm. Press 2 if you would like us to call you back. To reach us, call {{ clinic_phone }}.',
    ),
    (
        'reminder_72h',
        'es',
        'Hola, le llama {{ sender_name }} para recordarle su cita el {{ date }} a las {{ time }}. Venga con alguien que le lleve a casa, no conduzca el resto del día y siga las instrucciones de ayuno. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos.',
        'Hola, le llama {{ sender_name }}. {{ opt_out }} Le recordamos su cita el {{ date }} a las {{ time }}. Venga con alguien que le lleve a casa, no conduzca el resto del día y siga las instrucciones de ayuno. Oprima 1 para confirmar. Oprima 2 si desea que le llamemos. Para hablar con nosotros, llame al {{ clinic_phone }}.',
    ),
]


def forwards(apps, schema_editor):
    MessageTemplate = apps.get_model("clinic", "MessageTemplate")
    for key, language, old, new in CHANGES:
        MessageTemplate.objects.filter(key=key, channel="voice", language=language, body=old).update(body=new)


def backwards(apps, schema_editor):
    MessageTemplate = apps.get_model("clinic", "MessageTemplate")
    for key, language, old, new in CHANGES:
        MessageTemplate.objects.filter(key=key, channel="voice", language=language, body=new).update(body=old)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0012_consent_recorded_by_consent")]

    operations = [migrations.RunPython(forwards, backwards)]
