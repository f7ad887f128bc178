from django.urls import path

from . import staff_views

app_name = "opendata_staff"

urlpatterns = [
    path("", staff_views.dataset_list, name="list"),
    path("new/", staff_views.dataset_edit, name="create"),
    path("live/", staff_views.live_dataset_create, name="live_create"),
    path("<uuid:dataset_id>/", staff_views.dataset_detail, name="detail"),
    path("<uuid:dataset_id>/edit/", staff_views.dataset_edit, name="edit"),
    path("<uuid:dataset_id>/upload/", staff_views.resource_upload, name="upload"),
    path("<uuid:dataset_id>/link/", staff_views.resource_link, name="link"),
    path("<uuid:dataset_id>/resources/<uuid:resource_id>/delete/", staff_views.resource_delete, name="resource_delete"),
    path("<uuid:dataset_id>/publish/", staff_views.dataset_publish, name="publish"),
    path("<uuid:dataset_id>/unpublish/", staff_views.dataset_unpublish, name="unpublish"),
    path("<uuid:dataset_id>/regenerate/", staff_views.live_dataset_regenerate, name="regenerate"),
]
