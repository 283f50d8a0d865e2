"""Courses opened before scheduling.Course.diagnosis_codes existed get their referral's code, so
their Good Faith Estimates keep listing it now that billing reads the course, not the referral."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db import migrations
from django.db.models import OuterRef


def copy_codes(apps, schema_editor):
    Course = apps.get_model("scheduling", "Course")
    Referral = apps.get_model("intake", "Referral")
    # One referral per course at most (a one-to-one); a course made by hand keeps [].
    codes = Referral.objects.filter(course_id=OuterRef("pk")).values("diagnosis_code")
    Course.objects.filter(diagnosis_codes=[]).update(diagnosis_codes=ArraySubquery(codes))


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0009_contraindication_screen_gfe"),
        ("scheduling", "0007_course_diagnosis_codes"),
    ]

    operations = [migrations.RunPython(copy_codes, migrations.RunPython.noop)]
