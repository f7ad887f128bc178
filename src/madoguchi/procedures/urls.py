from django.urls import path

from . import journey_views, views

app_name = "procedures"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<slug:procedure_slug>/", views.procedure_detail, name="detail"),
    path("<slug:procedure_slug>/apply/", journey_views.apply_start, name="apply_start"),
    path("<slug:procedure_slug>/apply/<str:draft_id>/check/", journey_views.apply_check, name="apply_check"),
    path("<slug:procedure_slug>/apply/<str:draft_id>/done/", journey_views.apply_done, name="apply_done"),
    path("<slug:procedure_slug>/apply/<str:draft_id>/<slug:page_id>/", journey_views.apply_page, name="apply_page"),
]
