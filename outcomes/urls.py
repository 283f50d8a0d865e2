from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("o/d/<str:token>/", views.diary_link, name="diary_link"),
    path("o/q/<str:token>/", views.questionnaire_link, name="questionnaire_link"),
    path("my/diary/", views.my_outcomes, name="mine"),
    path("staff/diaries/", views.silent_diaries, name="silent"),
    path("my/diary/questions/<slug:time_point>/", views.my_questionnaire, name="my_questionnaire"),
]
