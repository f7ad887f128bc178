from django.urls import path

from . import builder_views, file_views, inbox_views, pdf_views, views

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
    # Export for core systems: the columns of one procedure's export.
    path("<str:procedure_id>/export-columns/", inbox_views.export_columns, name="export_columns"),
    path("<str:procedure_id>/", views.staff_edit, name="edit"),
    path("<str:procedure_id>/publish/", views.staff_publish, name="publish"),
    # The form builder (フォーム作成)
    path("<str:procedure_id>/form/", builder_views.form_overview, name="form"),
    path("<str:procedure_id>/form/discard/", builder_views.form_discard, name="form_discard"),
    path("<str:procedure_id>/form/publish/", builder_views.form_publish, name="form_publish"),
    path("<str:procedure_id>/form/history/", builder_views.form_history, name="form_history"),
    path("<str:procedure_id>/form/import/", builder_views.form_import, name="form_import"),
    path("<str:procedure_id>/form/versions/<int:number>/export.json", builder_views.form_export, name="form_export"),
    path("<str:procedure_id>/form/add-page/", builder_views.page_add, name="form_page_add"),
    path("<str:procedure_id>/form/pages/<slug:page_id>/", builder_views.page_edit, name="form_page"),
    path("<str:procedure_id>/form/pages/<slug:page_id>/fields/add/", builder_views.field_add, name="form_field_add"),
    path(
        "<str:procedure_id>/form/pages/<slug:page_id>/<slug:action>/",
        builder_views.page_action,
        name="form_page_action",
    ),
    path(
        "<str:procedure_id>/form/fields/<str:group_id>/members/add/", builder_views.member_add, name="form_member_add"
    ),
    path("<str:procedure_id>/form/fields/<str:key>/", builder_views.field_edit, name="form_field"),
    path(
        "<str:procedure_id>/form/fields/<str:key>/<slug:action>/", builder_views.field_action, name="form_field_action"
    ),
    path(
        "<str:procedure_id>/form/conditions/<slug:target>/<str:target_id>/",
        builder_views.condition_edit,
        name="form_condition",
    ),
    path("<str:procedure_id>/form/add-fee/", builder_views.fee_edit, name="form_fee_add"),
    path("<str:procedure_id>/form/fees/<int:index>/", builder_views.fee_edit, name="form_fee"),
    path("<str:procedure_id>/form/fees/<int:index>/delete/", builder_views.fee_delete, name="form_fee_delete"),
    path("<str:procedure_id>/form/preview/", builder_views.preview_start, name="form_preview"),
    path("<str:procedure_id>/form/preview/check/", builder_views.preview_check, name="form_preview_check"),
    path("<str:procedure_id>/form/preview/pages/<slug:page_id>/", builder_views.preview_page, name="form_preview_page"),
]
