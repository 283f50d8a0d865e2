from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CHANGE = "change", _("Changed")


class AuditEvent(models.Model):
    """One staff look at, or change to, a patient's record. Append-only: a PostgreSQL trigger
    refuses UPDATE and DELETE, and neither the pages nor the admin offer to edit one.

    Holds no PHI itself: who, which object (type and id), whose record, when and from where."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True, editable=False)
    # The two users are foreign keys for the ORM (PROTECT: Django refuses to delete a user with
    # events) but not constraints in the database, as django-simple-history makes its history
    # rows': a staff page that lists 66 patients writes 66 events, and PostgreSQL's check of
    # each row's two keys (a locking read of the user, per row) cost more than the page's own
    # statement. The rows come from the signed-in user and the records just read.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="audit_events_made",
        verbose_name=_("who"),
    )
    actor_role = models.CharField(_("role"), max_length=20)
    # Null while a referral has no patient account yet (before intake is complete). Indexed
    # by (patient, -at) below, which also answers a lookup by patient alone.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="audit_events_about",
        verbose_name=_("patient"),
    )
    # The referral the record belongs to, when it has one: a referral, its intake case and its
    # documents are looked at before the patient has an account, and this joins those events
    # to the patient's trail afterwards. An id rather than a foreign key: the audit trail sits
    # below the intake app.
    referral_id = models.BigIntegerField(_("referral"), null=True, blank=True, db_index=True)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=64)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("page"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.object_type} {self.object_id} at {self.at}"
