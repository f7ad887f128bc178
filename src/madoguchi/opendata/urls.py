from django.urls import path, re_path

from . import views

app_name = "opendata"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    re_path(r"^(?P<name>[a-z0-9_-]{2,100})/$", views.dataset_detail, name="dataset"),
    re_path(
        r"^(?P<name>[a-z0-9_-]{2,100})/resource/(?P<resource_id>[0-9a-f-]{36})/download/(?P<filename>[^/]{1,200})$",
        views.download,
        name="download",
    ),
]
