from django.urls import path

from . import staff_views as views

app_name = "lottery_staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/<str:facility_id>/", views.round_new, name="new"),
    path("<str:round_id>/", views.round_detail, name="detail"),
    path("<str:round_id>/edit/", views.round_edit, name="edit"),
    path("<str:round_id>/action/", views.round_action, name="action"),
    path("<str:round_id>/entries/<str:entry_id>/exclude/", views.exclude, name="exclude"),
]
