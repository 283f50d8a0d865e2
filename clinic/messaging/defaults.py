# ruff: noqa: E501  (message texts read best on one line each)
"""The reminder plan and message words a fresh database starts with. Installed by a data
migration and by the demo seeder; both only add what is missing, so admin edits survive.

Minimum necessary: no text, voicemail or subject names a drug, a diagnosis or the treatment
(tests/clinic/test_messaging_templates.py renders each one and checks MESSAGING_FORBIDDEN_WORDS).
Texts stay within 160 characters; voice messages well under a minute, each saying how to stop
calls and the number to call back."""

from datetime import timedelta

PLAN = [
    # (name, offset before the event or None for "at booking", channel, template key)
    ("confirmation", None, "preferred", "booking_confirmation"),
    ("reminder-72h", timedelta(hours=72), "preferred", "reminder_72h"),
    ("reminder-24h", timedelta(hours=24), "preferred", "reminder_24h"),
    ("reminder-2h", timedelta(hours=2), "sms", "reminder_2h"),
]

# Every call says who is calling, then at once how to stop calls ({{ opt_out }}: a key), and ends
# with the number to call back (47 CFR 64.1200(b)).
_VOICE_EN = " Press 1 to confirm. Press 2 if you would like us to call you back. To reach us, call {{ clinic_phone }}."
_VOICE_ES = " Oprima 1 para confirmar. Oprima 2 si desea que le llamemos. Para hablar con nosotros, llame al {{ clinic_phone }}."

# {key: {channel: {language: (subject, body)}}}
TEMPLATES: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
    "booking_confirmation": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: your appointment is booked for {{ date }} at {{ time }}. Reply C to confirm, HELP for help, STOP to opt out.",
            ),
            "es": (
                "",
                "{{ sender_name }}: su cita es el {{ date }} a las {{ time }}. Responda C para confirmar, HELP para ayuda, STOP para no recibir mensajes.",
            ),
        },
        "voice": {
            "en": (
                "",
                "Hello, this is {{ sender_name }}. {{ opt_out }} Your appointment is booked for {{ date }} at {{ time }}."
                + _VOICE_EN,
            ),
            "es": (
                "",
                "Hola, le llama {{ sender_name }}. {{ opt_out }} Su cita es el {{ date }} a las {{ time }}."
                + _VOICE_ES,
            ),
        },
        "email": {
            "en": (
                "Your appointment on {{ date }}",
                "Hello,\n\nYour appointment at {{ sender_name }} is booked for {{ date }} at {{ time }}.\n\nQuestions? Call us at {{ clinic_phone }}.\n",
            ),
            "es": (
                "Su cita del {{ date }}",
                "Hola:\n\nSu cita en {{ sender_name }} es el {{ date }} a las {{ time }}.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
            ),
        },
    },
    "reminder_72h": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: appointment {{ date }} {{ time }}. Arrange a driver home, no driving rest of day, follow the fasting instructions. Reply C to confirm.",
            ),
            "es": (
                "",
                "{{ sender_name }}: cita {{ date }} {{ time }}. Venga con quien le lleve a casa, no conduzca ese dia, siga el ayuno indicado. Responda C.",
            ),
        },
        "voice": {
            "en": (
                "",
                "Hello, this is {{ sender_name }}. {{ opt_out }} A reminder of your appointment on {{ date }} at {{ time }}. Please arrange for someone to drive you home, do not drive for the rest of that day, and follow the fasting instructions you were given."
                + _VOICE_EN,
            ),
            "es": (
                "",
                "Hola, le llama {{ sender_name }}. {{ opt_out }} Le recordamos su cita el {{ date }} a las {{ time }}. Venga con alguien que le lleve a casa, no conduzca el resto del día y siga las instrucciones de ayuno."
                + _VOICE_ES,
            ),
        },
        "email": {
            "en": (
                "Getting ready for your appointment on {{ date }}",
                "Hello,\n\nYour appointment at {{ sender_name }} is on {{ date }} at {{ time }}.\n\nTo prepare:\n- Arrange for someone to drive you home.\n- Do not drive for the rest of that day.\n- Follow the fasting instructions you were given.\n\nQuestions? Call us at {{ clinic_phone }}.\n",
            ),
            "es": (
                "Prepárese para su cita del {{ date }}",
                "Hola:\n\nSu cita en {{ sender_name }} es el {{ date }} a las {{ time }}.\n\nPara prepararse:\n- Venga con alguien que le lleve a casa.\n- No conduzca el resto del día.\n- Siga las instrucciones de ayuno que recibió.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
            ),
        },
    },
    "reminder_24h": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: reminder, your appointment is {{ day }} at {{ time }}. Reply C to confirm or call {{ clinic_phone }}.",
            ),
            "es": (
                "",
                "{{ sender_name }}: su cita es {{ day }} a las {{ time }}. Responda C para confirmar o llame al {{ clinic_phone }}.",
            ),
        },
        "voice": {
            "en": (
                "",
                "Hello, this is {{ sender_name }}. {{ opt_out }} A reminder that your appointment is {{ day }} at {{ time }}."
                + _VOICE_EN,
            ),
            "es": (
                "",
                "Hola, le llama {{ sender_name }}. {{ opt_out }} Le recordamos que su cita es {{ day }} a las {{ time }}."
                + _VOICE_ES,
            ),
        },
        "email": {
            "en": (
                "Reminder: your appointment {{ day }}",
                "Hello,\n\nA reminder that your appointment at {{ sender_name }} is {{ day }} at {{ time }}.\n\nQuestions? Call us at {{ clinic_phone }}.\n",
            ),
            "es": (
                "Recordatorio: su cita es {{ day }}",
                "Hola:\n\nLe recordamos que su cita en {{ sender_name }} es {{ day }} a las {{ time }}.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
            ),
        },
    },
    "reminder_2h": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: see you {{ day }} at {{ time }}. Remember your driver home. Questions: {{ clinic_phone }}.",
            ),
            "es": (
                "",
                "{{ sender_name }}: le esperamos {{ day }} a las {{ time }}. Recuerde venir con quien le lleve a casa. Dudas: {{ clinic_phone }}.",
            ),
        },
        "voice": {
            "en": (
                "",
                "Hello, this is {{ sender_name }}. {{ opt_out }} We will see you {{ day }} at {{ time }}. Remember your driver home."
                + _VOICE_EN,
            ),
            "es": (
                "",
                "Hola, le llama {{ sender_name }}. {{ opt_out }} Le esperamos {{ day }} a las {{ time }}. Recuerde venir con quien le lleve a casa."
                + _VOICE_ES,
            ),
        },
        "email": {
            "en": (
                "See you {{ day }} at {{ time }}",
                "Hello,\n\nWe will see you {{ day }} at {{ time }} at {{ sender_name }}. Remember to bring someone to drive you home.\n\nQuestions? Call us at {{ clinic_phone }}.\n",
            ),
            "es": (
                "Le esperamos {{ day }} a las {{ time }}",
                "Hola:\n\nLe esperamos {{ day }} a las {{ time }} en {{ sender_name }}. Recuerde venir con alguien que le lleve a casa.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
            ),
        },
    },
    "appointment_changed": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: your appointment has moved to {{ date }} at {{ time }}. Reply C to confirm or call {{ clinic_phone }}.",
            ),
            "es": (
                "",
                "{{ sender_name }}: su cita ha cambiado al {{ date }} a las {{ time }}. Responda C para confirmar o llame al {{ clinic_phone }}.",
            ),
        },
        "voice": {
            "en": (
                "",
                "Hello, this is {{ sender_name }}. {{ opt_out }} Your appointment has moved to {{ date }} at {{ time }}."
                + _VOICE_EN,
            ),
            "es": (
                "",
                "Hola, le llama {{ sender_name }}. {{ opt_out }} Su cita ha cambiado al {{ date }} a las {{ time }}."
                + _VOICE_ES,
            ),
        },
        "email": {
            "en": (
                "Your appointment has moved to {{ date }}",
                "Hello,\n\nYour appointment at {{ sender_name }} has moved to {{ date }} at {{ time }}.\n\nQuestions? Call us at {{ clinic_phone }}.\n",
            ),
            "es": (
                "Su cita ha cambiado al {{ date }}",
                "Hola:\n\nSu cita en {{ sender_name }} ha cambiado al {{ date }} a las {{ time }}.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
            ),
        },
    },
    # Sent when intake completes: the single-use link to set a password.
    "portal_invitation": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: your patient portal account is ready. Choose a password "
                "(link works once): {{ link }}",
            ),
            "es": (
                "",
                "{{ sender_name }}: su cuenta del portal ya está lista. Elija una contraseña "
                "(el enlace sirve una vez): {{ link }}",
            ),
        },
        "email": {
            "en": (
                "Your patient portal account",
                "Hello,\n\nThank you for speaking with us. Your account at {{ sender_name }} is "
                "ready. Choose a password here to see your plan and cost estimate and to book "
                "your visits:\n\n{{ link }}\n\nThe link works once and expires in 3 days.\n\n"
                "Questions? Call us at {{ clinic_phone }}.\n",
            ),
            "es": (
                "Su cuenta del portal de pacientes",
                "Hola:\n\nGracias por hablar con nosotros. Su cuenta en {{ sender_name }} ya "
                "está lista. Elija una contraseña aquí para ver su plan y el presupuesto y "
                "reservar sus visitas:\n\n{{ link }}\n\nEl enlace sirve una sola vez y vence "
                "en 3 días.\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
            ),
        },
    },
    "appointment_cancelled": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: your appointment on {{ date }} at {{ time }} is cancelled. To book again call {{ clinic_phone }}.",
            ),
            "es": (
                "",
                "{{ sender_name }}: su cita del {{ date }} a las {{ time }} fue cancelada. Para otra cita llame al {{ clinic_phone }}.",
            ),
        },
        "voice": {
            "en": (
                "",
                "Hello, this is {{ sender_name }}. {{ opt_out }} Your appointment on {{ date }} at {{ time }} is cancelled. To book again, call {{ clinic_phone }}.",
            ),
            "es": (
                "",
                "Hola, le llama {{ sender_name }}. {{ opt_out }} Su cita del {{ date }} a las {{ time }} fue cancelada. Para otra cita llame al {{ clinic_phone }}.",
            ),
        },
        "email": {
            "en": (
                "Your appointment on {{ date }} is cancelled",
                "Hello,\n\nYour appointment at {{ sender_name }} on {{ date }} at {{ time }} is cancelled. To book again, call {{ clinic_phone }}.\n",
            ),
            "es": (
                "Su cita del {{ date }} fue cancelada",
                "Hola:\n\nSu cita en {{ sender_name }} del {{ date }} a las {{ time }} fue cancelada. Para otra cita llame al {{ clinic_phone }}.\n",
            ),
        },
    },
    # A Good Faith Estimate was issued (billing): a link to sign in, never an amount or a code.
    "estimate_ready": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: a new cost estimate is ready for you. Sign in to read it: {{ link }}",
            ),
            "es": (
                "",
                "{{ sender_name }}: tiene un nuevo presupuesto de costos. Inicie sesión para leerlo: {{ link }}",
            ),
        },
        "voice": {
            "en": (
                "",
                "Hello, this is {{ sender_name }}. {{ opt_out }} A new cost estimate is ready for you in the patient portal. Please sign in to read it. Questions? Call us at {{ clinic_phone }}.",
            ),
            "es": (
                "",
                "Hola, le llama {{ sender_name }}. {{ opt_out }} Tiene un nuevo presupuesto de costos en el portal de pacientes. Inicie sesión para leerlo. ¿Preguntas? Llámenos al {{ clinic_phone }}.",
            ),
        },
        "email": {
            "en": (
                "Your cost estimate is ready",
                "Hello,\n\nA new Good Faith Estimate of your costs is ready in your patient portal at {{ sender_name }}. Sign in to read it, print it or ask for a paper copy:\n\n{{ link }}\n\nQuestions? Call us at {{ clinic_phone }}.\n",
            ),
            "es": (
                "Su presupuesto de costos está listo",
                "Hola:\n\nTiene un nuevo presupuesto de buena fe de sus costos en su portal de pacientes de {{ sender_name }}. Inicie sesión para leerlo, imprimirlo o pedir una copia en papel:\n\n{{ link }}\n\n¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
            ),
        },
    },
    # Outcome measures (outcomes/): a daily diary prompt, one nudge after 3 missed days, and a
    # questionnaire. Minimum necessary: no word about why they are asked; the page says it.
    "diary_prompt": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: how was your day? Tap to answer: {{ link }} Reply STOP to opt out.",
            ),
            "es": (
                "",
                "{{ sender_name }}: ¿cómo fue su día? Toque para responder: {{ link }} Responda STOP para no recibir mensajes.",
            ),
        },
        "email": {
            "en": (
                "How was your day?",
                "Hello,\n\nHow was your day? It takes a few seconds to answer:\n\n{{ link }}\n\nQuestions? Call {{ sender_name }} at {{ clinic_phone }}.\n",
            ),
            "es": (
                "¿Cómo fue su día?",
                "Hola:\n\n¿Cómo fue su día? Responder toma unos segundos:\n\n{{ link }}\n\n¿Preguntas? Llame a {{ sender_name }} al {{ clinic_phone }}.\n",
            ),
        },
    },
    "diary_nudge": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: we have missed your answers for a few days. Today's takes a few seconds: {{ link }} Reply STOP to opt out.",
            ),
            "es": (
                "",
                "{{ sender_name }}: no hemos recibido sus respuestas de los últimos días. La de hoy toma segundos: {{ link }} Responda STOP para salir.",
            ),
        },
        "email": {
            "en": (
                "We have missed your answers",
                "Hello,\n\nWe have missed your answers for a few days. Today's takes a few seconds:\n\n{{ link }}\n\nQuestions? Call {{ sender_name }} at {{ clinic_phone }}.\n",
            ),
            "es": (
                "No hemos recibido sus respuestas",
                "Hola:\n\nNo hemos recibido sus respuestas de los últimos días. La de hoy toma unos segundos:\n\n{{ link }}\n\n¿Preguntas? Llame a {{ sender_name }} al {{ clinic_phone }}.\n",
            ),
        },
    },
    "questionnaire_prompt": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: we have 5 short questions for you. Tap to answer: {{ link }} Reply STOP to opt out.",
            ),
            "es": (
                "",
                "{{ sender_name }}: tenemos 5 preguntas breves para usted. Toque para responder: {{ link }} Responda STOP para salir.",
            ),
        },
        "email": {
            "en": (
                "5 short questions for you",
                "Hello,\n\nWe have 5 short questions for you. Answer them here:\n\n{{ link }}\n\nQuestions? Call {{ sender_name }} at {{ clinic_phone }}.\n",
            ),
            "es": (
                "5 preguntas breves para usted",
                "Hola:\n\nTenemos 5 preguntas breves para usted. Respóndalas aquí:\n\n{{ link }}\n\n¿Preguntas? Llame a {{ sender_name }} al {{ clinic_phone }}.\n",
            ),
        },
    },
    # Answers to inbound texts (sent as the webhook's reply, not scheduled).
    "opt_out_confirmation": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: you will get no more texts from us. Reply START to opt back in. Questions: {{ clinic_phone }}.",
            ),
            "es": (
                "",
                "{{ sender_name }}: no recibira mas mensajes. Responda START para volver a recibirlos. Dudas: {{ clinic_phone }}.",
            ),
        },
    },
    "opt_in_confirmation": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: you will get appointment texts again. Reply STOP to opt out, HELP for help.",
            ),
            "es": (
                "",
                "{{ sender_name }}: volvera a recibir mensajes de sus citas. Responda STOP para no recibirlos, HELP para ayuda.",
            ),
        },
    },
    "help_reply": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: appointment messages. Call {{ clinic_phone }} for help. Reply STOP to opt out. Msg&data rates may apply.",
            ),
            "es": (
                "",
                "{{ sender_name }}: mensajes de citas. Llame al {{ clinic_phone }} para ayuda. Responda STOP para no recibirlos.",
            ),
        },
    },
    # A freed time offered from the waitlist (waitlist app): a link to take it, no treatment.
    # Someone waiting for a first time is offered "a time"; someone with a booked session who
    # asked for an earlier one, "an earlier time" (waitlist_offer_earlier).
    "waitlist_offer": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: a time opened, {{ day }} at {{ time }}. Held {{ minutes }} min for you: {{ link }} STOP to opt out.",
            ),
            "es": (
                "",
                "{{ sender_name }}: se abrio un horario, {{ day }} a las {{ time }}. Reservado {{ minutes }} min para usted: {{ link }} STOP para no recibir.",
            ),
        },
        "email": {
            "en": (
                "A time opened up for you",
                "Hello,\n\nA time opened up at {{ sender_name }}: {{ day }} at {{ time }}. It is held for you for {{ minutes }} minutes; to take it, open this link:\n\n{{ link }}\n\nIf someone else takes it first, you stay on the waitlist. Questions? Call us at {{ clinic_phone }}.\n",
            ),
            "es": (
                "Se abrió un horario para usted",
                "Hola:\n\nSe abrió un horario en {{ sender_name }}: {{ day }} a las {{ time }}. Está reservado para usted durante {{ minutes }} minutos; para tomarlo, abra este enlace:\n\n{{ link }}\n\nSi otra persona lo toma antes, usted sigue en la lista de espera. ¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
            ),
        },
    },
    "waitlist_offer_earlier": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: an earlier time opened, {{ day }} at {{ time }}. Held {{ minutes }} min to move your appointment: {{ link }} STOP to opt out.",
            ),
            "es": (
                "",
                "{{ sender_name }}: se abrio un horario mas temprano, {{ day }} a las {{ time }}. Reservado {{ minutes }} min para cambiar su cita: {{ link }} STOP para no recibir.",
            ),
        },
        "email": {
            "en": (
                "An earlier time opened up for you",
                "Hello,\n\nAn earlier time opened up at {{ sender_name }}: {{ day }} at {{ time }}. It is held for you for {{ minutes }} minutes; to move your appointment to it, open this link:\n\n{{ link }}\n\nIf someone else takes it first, your appointment stays as it is and you stay on the waitlist. Questions? Call us at {{ clinic_phone }}.\n",
            ),
            "es": (
                "Se abrió un horario más temprano para usted",
                "Hola:\n\nSe abrió un horario más temprano en {{ sender_name }}: {{ day }} a las {{ time }}. Está reservado para usted durante {{ minutes }} minutos; para cambiar su cita a ese horario, abra este enlace:\n\n{{ link }}\n\nSi otra persona lo toma antes, su cita sigue igual y usted sigue en la lista de espera. ¿Preguntas? Llámenos al {{ clinic_phone }}.\n",
            ),
        },
    },
    # Answers to texts: R (a link to move the next session), an accept word (an offered time).
    "reschedule_link": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: to move your appointment {{ day }} at {{ time }}, open {{ link }}",
            ),
            "es": (
                "",
                "{{ sender_name }}: para cambiar su cita {{ day }} a las {{ time }}, abra {{ link }}",
            ),
        },
    },
    "waitlist_offer_booked": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: it is yours. Your appointment is {{ day }} at {{ time }}.",
            ),
            "es": ("", "{{ sender_name }}: es suyo. Su cita es {{ day }} a las {{ time }}."),
        },
    },
    "waitlist_offer_gone": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: sorry, that time was already taken. You stay on the waitlist.",
            ),
            "es": (
                "",
                "{{ sender_name }}: lo sentimos, ese horario ya fue tomado. Sigue en la lista de espera.",
            ),
        },
    },
    "waitlist_offer_ran_out": {
        "sms": {
            "en": (
                "",
                "{{ sender_name }}: sorry, the time held for you ran out before your answer. You stay on the waitlist.",
            ),
            "es": (
                "",
                "{{ sender_name }}: lo sentimos, el horario reservado para usted vencio antes de su respuesta. Sigue en la lista de espera.",
            ),
        },
    },
    "confirmation_received": {
        "sms": {
            "en": ("", "{{ sender_name }}: thank you, we have your confirmation."),
            "es": ("", "{{ sender_name }}: gracias, hemos recibido su confirmacion."),
        },
    },
}


def install(MessageTemplate, ReminderPlanEntry) -> int:  # noqa: N803 (model classes)
    """Add the default templates and plan lines that are missing; never overwrite edits.
    Takes the model classes so a data migration can pass its historical models."""
    added = 0
    for key, channels in TEMPLATES.items():
        for channel, languages in channels.items():
            for language, (subject, body) in languages.items():
                _, created = MessageTemplate.objects.get_or_create(
                    key=key,
                    channel=channel,
                    language=language,
                    defaults={"subject": subject, "body": body},
                )
                added += created
    for name, offset, channel, template_key in PLAN:
        _, created = ReminderPlanEntry.objects.get_or_create(
            name=name,
            defaults={"offset": offset, "channel": channel, "template_key": template_key},
        )
        added += created
    return added
