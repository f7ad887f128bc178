"""Mounted at /<municipality_slug>/auth/ (see madoguchi.urls)."""

from django.urls import path

from . import views

app_name = "identity"

urlpatterns = [
    path("oidc/<slug:provider_slug>/start/", views.oidc_start, name="oidc_start"),
    path("oidc/<slug:provider_slug>/callback/", views.oidc_callback, name="oidc_callback"),
    path("oidc/<slug:provider_slug>/jwks.json", views.relying_party_jwks, name="oidc_rp_jwks"),
    path("register/", views.register_email, name="register_email"),
    path("register/confirm/", views.register_confirm, name="register_confirm"),
]
