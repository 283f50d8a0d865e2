"""Single-use signed links to cancel or move a session."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .sessions import InfusionSession


class ActionLinkKind(models.TextChoices):
    CANCEL = "cancel", _("Cancel")
    RESCHEDULE = "reschedule", _("Reschedule")


class SessionActionLink(models.Model):
    """A signed link sent by e-mail or text. The signature proves we made it; this row makes it
    single-use (used_at) and ties it to one session, so it dies when the session is moved."""

    nonce = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        InfusionSession, on_delete=models.CASCADE, related_name="action_links"
    )
    kind = models.CharField(max_length=20, choices=ActionLinkKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} link for session #{self.session_id}"
