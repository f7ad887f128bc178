from django.urls import path

from . import views

app_name = "faq"

urlpatterns = [
    path("", views.chat, name="chat"),
    path("all/", views.faq_list, name="list"),
    path("feedback/<str:question_id>/", views.feedback, name="feedback"),
    path("<str:faq_id>/", views.faq_detail, name="detail"),
]
