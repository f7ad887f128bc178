from django.urls import path

from . import views

app_name = "procedures_staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("presets/", views.staff_presets, name="presets"),
    path("<str:procedure_id>/", views.staff_edit, name="edit"),
    path("<str:procedure_id>/publish/", views.staff_publish, name="publish"),
]
