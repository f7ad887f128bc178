from django.urls import path

from . import views

app_name = "notices_staff"

urlpatterns = [
    path("", views.staff_notice_list, name="list"),
    path("add/", views.staff_notice_edit, name="add"),
    path("<str:notice_id>/", views.staff_notice_edit, name="edit"),
]
