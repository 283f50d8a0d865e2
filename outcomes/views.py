"""Patient pages: a diary day and a questionnaire from a signed link (no sign-in), and the
patient's own page (their chart of headache days, today's diary, an open questionnaire). GET
only shows a form (mail scanners open links); POST records, once."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.audit.services import audit_record_many
from clinic.errors import ApplicationError
from clinic.messaging.services import recipient_zone
from clinic.models import STAFF_ROLES, Role
from clinic.permissions import role_required

from . import links, selectors, services
from .forms import DiaryDayForm, QuestionnaireForm
from .instruments import MIDAS
from .models import OutcomePlan


def _language(plan: OutcomePlan) -> str:
    return plan.patient.preferred_language or "en"


def _gone(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "outcomes/link_gone.html", {"message": message}, status=410)


def _render_as_patient(request, plan, template, context, status=200) -> HttpResponse:
    """Link pages are read by someone not signed in: they speak the patient's language."""
    with translation.override(_language(plan)):
        response = render(request, template, context, status=status)
    response["Content-Language"] = _language(plan)
    return response


def _record_day(plan: OutcomePlan, day, form: DiaryDayForm) -> None:
    data = form.cleaned_data
    services.diary_day_record(
        plan=plan,
        day=day,
        headache=data["headache"],
        migraine=bool(data.get("migraine")),
        worst_pain=data.get("worst_pain") or 0,
        acute_medication=bool(data.get("acute_medication")),
        now=timezone.now(),
    )


def diary_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        plan, day = links.diary_link_resolve(token)
    except ApplicationError as exc:
        return _gone(request, exc.message)
    with translation.override(_language(plan)):
        form = DiaryDayForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                _record_day(plan, day, form)
            except ApplicationError as exc:
                if exc.code == "already":
                    return _render_as_patient(
                        request, plan, "outcomes/thanks.html", {"again": True}
                    )
                return _render_as_patient(
                    request, plan, "outcomes/link_gone.html", {"message": exc.message}, 410
                )
            return _render_as_patient(request, plan, "outcomes/thanks.html", {})
        status = 400 if request.method == "POST" else 200
        return _render_as_patient(
            request, plan, "outcomes/diary_day.html", {"form": form, "day": day}, status
        )


def questionnaire_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        plan, time_point = links.questionnaire_link_resolve(token)
    except ApplicationError as exc:
        return _gone(request, exc.message)
    with translation.override(_language(plan)):
        return _questionnaire(request, plan, time_point)


def _questionnaire(request: HttpRequest, plan: OutcomePlan, time_point: str) -> HttpResponse:
    # Said before the patient fills anything in, not after they have sent five answers.
    closed = services.questionnaire_refusal(plan=plan, time_point=time_point, now=timezone.now())
    if closed:
        return _render_as_patient(request, plan, "outcomes/closed.html", {"message": closed})
    if selectors.questionnaire_answered(plan=plan, time_point=time_point):
        return _render_as_patient(request, plan, "outcomes/thanks.html", {"again": True})
    form = QuestionnaireForm(
        request.POST or None, instrument=MIDAS, language=translation.get_language()
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.instrument_response_record(
                plan=plan,
                instrument_key=MIDAS.key,
                time_point=time_point,
                answers=form.cleaned_data["answers"],
                now=timezone.now(),
            )
        except ApplicationError as exc:
            if exc.code == "already":
                return _render_as_patient(request, plan, "outcomes/thanks.html", {"again": True})
            return _render_as_patient(
                request, plan, "outcomes/closed.html", {"message": exc.message}
            )
        return _render_as_patient(request, plan, "outcomes/thanks.html", {})
    status = 400 if request.method == "POST" else 200
    return _render_as_patient(
        request, plan, "outcomes/questionnaire.html", {"form": form, "instrument": MIDAS}, status
    )


@role_required(Role.PATIENT)
def my_outcomes(request: HttpRequest) -> HttpResponse:
    """The patient's own page: weekly headache days before and after, today's diary, and the
    questionnaire when one is open."""
    plan = selectors.plan_for_patient(patient=request.user)
    if plan is None:
        return render(request, "outcomes/mine.html", {"summary": None})
    now = timezone.now()
    summary = selectors.outcome_summary(plan=plan, now=now)
    form = DiaryDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _record_day(plan, summary.today, form)
        except ApplicationError as exc:
            messages.info(request, exc.message)
            return redirect("outcomes:mine")
        messages.success(request, _("Thank you. Today is recorded."))
        return redirect("outcomes:mine")
    context = {
        "summary": summary,
        "form": form,
        "answered_today": summary.last_answered_on == summary.today,
        "questionnaire": selectors.open_questionnaire(plan=plan, today=summary.today),
    }
    return render(request, "outcomes/mine.html", context, status=400 if form.errors else 200)


@role_required(Role.PATIENT)
def my_questionnaire(request: HttpRequest, time_point: str) -> HttpResponse:
    plan = selectors.plan_for_patient_or_404(patient=request.user)
    summary_today = timezone.now().astimezone(recipient_zone(plan.patient)).date()
    if selectors.open_questionnaire(plan=plan, today=summary_today) != time_point:
        messages.info(request, _("These questions are not open."))
        return redirect("outcomes:mine")
    return _questionnaire(request, plan, time_point)


@role_required(*STAFF_ROLES)
def silent_diaries(request: HttpRequest) -> HttpResponse:
    """Coordinators: the patients whose diary shows worsening (more headache days a month than
    before the course), worst first, and those whose diary is open and who have not answered
    for 3 days or more, longest silence first. Each patient listed is a record seen (audited)."""
    now = timezone.now()
    worsening = selectors.worsening_summaries(now=now)
    rows = selectors.silent_plans(now=now)
    audit_record_many(
        request=request, objects=[s.plan for s in worsening] + [row.plan for row in rows]
    )
    return render(request, "outcomes/silent.html", {"rows": rows, "worsening": worsening})
