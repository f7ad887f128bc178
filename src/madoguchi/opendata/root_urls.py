"""The CKAN Action API and DCAT paths, platform-wide and per municipality (included by madoguchi/urls.py
before the module patterns: `api` and `dataset` are reserved module keys and slugs)."""

from django.urls import re_path

from . import ckan, views

_ACTION = r"(?P<name>[A-Za-z0-9_.-]{1,100})"
_NAME = r"(?P<name>[A-Za-z0-9_-]{1,141})"
_FMT = r"(?P<fmt>jsonld|ttl)"
_SLUG = r"(?P<municipality_slug>[a-z][a-z0-9-]{1,39})"

urlpatterns = [
    re_path(rf"^api/(?:3/)?action/{_ACTION}$", ckan.action, name="ckan_action"),
    re_path(rf"^{_SLUG}/api/(?:3/)?action/{_ACTION}$", ckan.action, name="ckan_action_municipality"),
    re_path(rf"^catalog\.{_FMT}$", views.catalog_rdf, name="dcat_catalog"),
    re_path(rf"^{_SLUG}/catalog\.{_FMT}$", views.catalog_rdf, name="dcat_catalog_municipality"),
    re_path(rf"^dataset/{_NAME}\.{_FMT}$", views.dataset_rdf, name="dcat_dataset"),
    re_path(rf"^{_SLUG}/dataset/{_NAME}\.{_FMT}$", views.dataset_rdf, name="dcat_dataset_municipality"),
]
