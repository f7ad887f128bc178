"""URL layout: platform pages, accounts, API, then /<slug>/… for each municipality and its modules."""

from django.contrib import admin
from django.urls import include, path

from madoguchi.api import api
from madoguchi.core import views as core_views
from madoguchi.core.registry import registry

handler404 = "madoguchi.core.views.not_found"
handler500 = "madoguchi.core.views.server_error"

module_patterns = []
for manifest in registry.all():
    if manifest.staff_urls:
        module_patterns.append(path(f"<slug:municipality_slug>/staff/{manifest.key}/", include(manifest.staff_urls)))
    if manifest.public_urls:
        module_patterns.append(path(f"<slug:municipality_slug>/{manifest.key}/", include(manifest.public_urls)))

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("madoguchi.accounts.urls")),
    path("api/v1/", api.urls),
    path("payments/", include("madoguchi.payments.platform_urls")),
    # CKAN Action API and DCAT of the open data catalogue (platform-wide and /<slug>/…).
    path("", include("madoguchi.opendata.root_urls")),
    path("<slug:municipality_slug>/staff/", include("madoguchi.staff.urls")),
    path("<slug:municipality_slug>/auth/", include("madoguchi.identity.urls")),
    *module_patterns,
    path("", include("madoguchi.core.urls")),
]
