from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    # Patients
    path("my/", views.patient_home, name="patient_home"),
    path("my/book/", views.patient_book, name="patient_book"),
    path("my/hold/", views.patient_hold, name="patient_hold"),
    path("my/hold/<int:pk>/", views.patient_hold_confirm, name="patient_hold_confirm"),
    path("my/plan/", views.patient_plan, name="patient_plan"),
    path("my/booked/", views.patient_booked, name="patient_booked"),
    path("my/sessions/<int:pk>/cancel/", views.patient_cancel, name="patient_cancel"),
    path("my/sessions/<int:pk>/reschedule/", views.patient_reschedule, name="patient_reschedule"),
    path("my/sessions/<int:pk>/calendar.ics", views.patient_ics, name="patient_ics"),
    # Links in e-mails and texts: signed, single-use, GET only shows a button.
    path("s/<str:token>/", views.action_link, name="action_link"),
    # Staff (the clinician's Today page, clinician_home, is intake's: see wiring/urls.py)
    path("clinician/reviews/<int:pk>/", views.clinician_review, name="clinician_review"),
    path("staff/day/", views.staff_day, name="staff_day"),
    path(
        "staff/sessions/<int:pk>/status/",
        views.staff_session_status,
        name="staff_session_status",
    ),
    path("coordinator/courses/", views.coordinator_courses, name="coordinator_courses"),
    # coordinator/courses/<pk>/ (coordinator_course) is served by billing: see wiring/urls.py.
    path(
        "coordinator/courses/<int:pk>/plan/",
        views.coordinator_course_plan,
        name="coordinator_course_plan",
    ),
    path(
        "coordinator/courses/<int:pk>/cancel/",
        views.coordinator_course_cancel,
        name="coordinator_course_cancel",
    ),
    path(
        "coordinator/sessions/<int:pk>/",
        views.coordinator_session_change,
        name="coordinator_session_change",
    ),
]
