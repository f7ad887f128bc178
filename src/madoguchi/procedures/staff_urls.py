from django.urls import path

from . import inbox_views, views

app_name = "procedures_staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("presets/", views.staff_presets, name="presets"),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/export.csv", inbox_views.inbox_export, name="inbox_export"),
    path("inbox/<str:submission_id>/", inbox_views.submission_detail, name="submission"),
    path("inbox/<str:submission_id>/<slug:action>/", inbox_views.submission_action, name="submission_action"),
    # Export for core systems: the columns of one procedure's export.
    path("<str:procedure_id>/export-columns/", inbox_views.export_columns, name="export_columns"),
    path("<str:procedure_id>/", views.staff_edit, name="edit"),
    path("<str:procedure_id>/publish/", views.staff_publish, name="publish"),
]
