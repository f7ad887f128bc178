from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<str:notice_id>/", views.notice_detail, name="detail"),
]
