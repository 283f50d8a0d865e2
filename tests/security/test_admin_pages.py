"""Every page of the Django admin opens for a clinic superuser: each model's list, and the
change page of one object of each (a 500 there goes unnoticed until an admin needs it)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from clinic.audit.models import AuditEvent
from clinic.models import Role
from tests.factories.users import UserFactory
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    build_world()
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def test_every_admin_list_and_change_page_opens(superuser_client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=UserFactory(role=Role.COORDINATOR), name="phone")
    broken, unopened = {}, []
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        url = reverse("admin:{}_{}_changelist".format(*info))
        status = superuser_client.get(url).status_code
        if status != 200:
            broken[url] = status
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            unopened.append(model._meta.label)
            continue
        url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
        status = superuser_client.get(url).status_code
        if status != 200:
            broken[url] = status
    assert not broken
    # The world has at least one row of every model that holds patient data.
    for label in ("intake.Referral", "intake.IntakeCase", "scheduling.Course", "billing.Estimate"):
        assert label not in unopened


def test_admin_pages_of_patients_are_audited(superuser_client):
    from intake.models import Referral

    referral = Referral.objects.order_by("pk").first()
    superuser_client.get(reverse("admin:intake_referral_change", args=[referral.pk]))
    event = AuditEvent.objects.get()
    assert (event.object_type, event.object_id, event.referral_id) == (
        "referral",
        str(referral.pk),
        referral.pk,
    )
    superuser_client.get(reverse("admin:clinic_user_changelist"), {"role__exact": "patient"})
    patients = AuditEvent.objects.filter(object_type="patient")
    assert patients.count() == 2  # the two patients, not the staff or the providers
    assert all(e.patient_id for e in patients)
