from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("users/", views.users, name="users"),
    path("users/add/", views.user_add, name="user_add"),
    path("users/<str:membership_id>/", views.user_edit, name="user_edit"),
    path("departments/", views.departments, name="departments"),
    path("departments/add/", views.department_edit, name="department_add"),
    path("departments/<str:department_id>/", views.department_edit, name="department_edit"),
    path("modules/", views.modules, name="modules"),
    path("settings/", views.municipality_settings, name="settings"),
    path("audit/", views.audit, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("residents/", views.residents, name="residents"),
    path("residents/<str:user_id>/", views.resident_detail, name="resident_detail"),
    path("api-tokens/", views.api_tokens, name="api_tokens"),
    path("api-tokens/add/", views.api_token_add, name="api_token_add"),
    path("api-tokens/<str:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
