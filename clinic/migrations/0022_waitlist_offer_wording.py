from django.db import migrations

# The first offer text told everyone "an earlier time opened", also someone waiting for a first
# time. Their text now says "a time opened"; an earlier time has its own kind.
OLD_EN_SMS = (
    "{{ sender_name }}: an earlier time opened, {{ day }} at {{ time }}. Held {{ minutes }} min "
    "for you: {{ link }} STOP to opt out."
)


def reword(apps, schema_editor):
    from clinic.messaging import defaults

    template = apps.get_model("clinic", "MessageTemplate")
    new_body = defaults.TEMPLATES["waitlist_offer"]["sms"]["en"][1]
    # Only the untouched default changes: install() never overwrites an edit, nor does this.
    template.objects.filter(
        key="waitlist_offer", channel="sms", language="en", body=OLD_EN_SMS
    ).update(body=new_body)
    defaults.install(template, apps.get_model("clinic", "ReminderPlanEntry"))


class Migration(migrations.Migration):
    """The waitlist offer speaks of "a time" to someone waiting for a first one and of "an
    earlier time" (waitlist_offer_earlier) to someone moving a booked session; an accept word
    after the hold ran out is answered as such (waitlist_offer_ran_out)."""

    dependencies = [("clinic", "0021_fax_channel")]

    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
