from django.urls import path

from . import file_views, journey_views, mine_views, pdf_views, views

app_name = "procedures"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("mine/", mine_views.mine, name="mine"),
    path("mine/<str:submission_id>/", mine_views.mine_detail, name="mine_detail"),
    path("mine/<str:submission_id>/pdf/", pdf_views.mine_pdf, name="mine_pdf"),
    path("mine/<str:submission_id>/resubmit/", mine_views.mine_resubmit, name="mine_resubmit"),
    path("mine/<str:submission_id>/message/", mine_views.mine_message, name="mine_message"),
    path("mine/<str:submission_id>/withdraw/", mine_views.mine_withdraw, name="mine_withdraw"),
    path("mine/<str:submission_id>/correct/<slug:page_id>/", mine_views.mine_correct, name="mine_correct"),
    path("mine/<str:submission_id>/files/<str:file_id>/", file_views.mine_file, name="mine_file"),
    path("<slug:procedure_slug>/", views.procedure_detail, name="detail"),
    path("<slug:procedure_slug>/apply/", journey_views.apply_start, name="apply_start"),
    path("<slug:procedure_slug>/apply/<str:draft_id>/check/", journey_views.apply_check, name="apply_check"),
    path("<slug:procedure_slug>/apply/<str:draft_id>/done/", journey_views.apply_done, name="apply_done"),
    path("<slug:procedure_slug>/apply/<str:draft_id>/files/<str:file_id>/", file_views.apply_file, name="apply_file"),
    path("<slug:procedure_slug>/apply/<str:draft_id>/<slug:page_id>/", journey_views.apply_page, name="apply_page"),
]
