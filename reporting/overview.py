"""The clinic admin's overview (/clinic-admin/): a to-do list gathered from every app, so it sits
on the top floor. Counts only, no patient named: nothing here is audited."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import GfeObligation
from billing.payments.documents import courses_billed_over_gfe
from billing.payments.selectors import payments_failed
from clinic.messaging.models import InboundReply, Message, MessageStatus
from clinic.models import Role, WorkerHeartbeat
from clinic.permissions import role_required
from intake.models import ReferringProvider
from scheduling.models import Course, CourseStatus


@dataclass(frozen=True)
class TodoItem:
    slug: str
    label: str
    count: int
    href: str
    detail: str = ""  # e.g. how many of the GFEs owed are overdue
    urgent: bool = False


def admin_todo() -> list[TodoItem]:
    """What waits for someone at the clinic, each with a count and the page that deals with it.
    A fixed number of queries, however much waits."""
    providers = ReferringProvider.objects.filter(verified_at__isnull=True).count()
    messages = Message.objects.aggregate(
        failed=Count("pk", filter=Q(status=MessageStatus.FAILED)),
        unknown=Count("pk", filter=Q(status=MessageStatus.UNKNOWN)),
    )
    replies = InboundReply.objects.filter(needs_attention=True).count()
    review = Course.objects.filter(status=CourseStatus.AWAITING_REVIEW).count()
    failed_charges = payments_failed().count()
    over_gfe = len(courses_billed_over_gfe())
    # Overdue is judged by each location's own calendar day; owed GFEs are few, the zones fewer.
    owed = list(GfeObligation.objects.owed().values_list("due_on", "location__time_zone"))
    now = timezone.now()
    overdue = sum(1 for due_on, tz in owed if timezone.localdate(now, tz) > due_on)
    outbox = reverse("messaging:outbox")
    return [
        TodoItem(
            "providers",
            _("Referring providers waiting for approval"),
            providers,
            reverse("admin:intake_referringprovider_changelist") + "?verified_at__isempty=1",
        ),
        TodoItem(
            "failed-messages",
            _("Messages that failed"),
            messages["failed"],
            f"{outbox}?status={MessageStatus.FAILED}",
            urgent=messages["failed"] > 0,
        ),
        TodoItem(
            "unknown-messages",
            _("Messages whose outcome is unknown (check before sending again)"),
            messages["unknown"],
            f"{outbox}?status={MessageStatus.UNKNOWN}",
            urgent=messages["unknown"] > 0,
        ),
        TodoItem(
            "gfes",
            _("Good Faith Estimates due or overdue"),
            len(owed),
            reverse("billing:coordinator_list"),
            detail=_("%(n)d overdue") % {"n": overdue} if overdue else "",
            urgent=overdue > 0,
        ),
        TodoItem(
            "failed-charges",
            _("Card charges that failed"),
            failed_charges,
            reverse("billing:failed_charges"),
            urgent=failed_charges > 0,
        ),
        TodoItem(
            "over-gfe",
            _("Courses billed $400 or more over their Good Faith Estimate (may be disputed)"),
            over_gfe,
            reverse("billing:coordinator_list") + "#over-gfe",
            urgent=over_gfe > 0,
        ),
        TodoItem(
            "replies",
            _("Replies needing attention"),
            replies,
            reverse("messaging:replies"),
        ),
        TodoItem(
            "reviews",
            _("Courses waiting for a clinician's review"),
            review,
            reverse("admin:scheduling_course_changelist")
            + f"?status__exact={CourseStatus.AWAITING_REVIEW}",
        ),
    ]


@role_required(Role.ADMIN)
def admin_home(request: HttpRequest) -> HttpResponse:
    last_beat = WorkerHeartbeat.objects.order_by("-beat_at").first()
    return render(request, "clinic/admin_home.html", {"todo": admin_todo(), "last_beat": last_beat})
