from django.urls import path

from . import file_views, inbox_views, pdf_views, views

app_name = "procedures_staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("presets/", views.staff_presets, name="presets"),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/export.csv", inbox_views.inbox_export, name="inbox_export"),
    path("inbox/bulk/", inbox_views.inbox_bulk, name="inbox_bulk"),
    path("inbox/<str:submission_id>/", inbox_views.submission_detail, name="submission"),
    path("inbox/<str:submission_id>/results/", file_views.staff_result_upload, name="result_upload"),
    path(
        "inbox/<str:submission_id>/results/<str:file_id>/remove/",
        file_views.staff_result_remove,
        name="result_remove",
    ),
    path("inbox/<str:submission_id>/files/<str:file_id>/", file_views.staff_file, name="submission_file"),
    path("inbox/<str:submission_id>/pdf/", pdf_views.submission_pdf, name="submission_pdf"),
    path("inbox/<str:submission_id>/<slug:action>/", inbox_views.submission_action, name="submission_action"),
    path("<str:procedure_id>/", views.staff_edit, name="edit"),
    path("<str:procedure_id>/publish/", views.staff_publish, name="publish"),
]
