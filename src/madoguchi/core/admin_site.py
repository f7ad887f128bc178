from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode


class MadoguchiAdminSite(AdminSite):
    """Django admin for platform admins only, signed in through our login with the second factor."""

    site_header = "Madoguchi platform admin"
    site_title = "Madoguchi"

    def has_permission(self, request: HttpRequest) -> bool:
        from madoguchi.accounts.services import SESSION_MFA_VERIFIED

        user = request.user
        return bool(user.is_active and user.is_superuser and request.session.get(SESSION_MFA_VERIFIED))

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")


class MadoguchiAdminConfig(AdminConfig):
    default_site = "madoguchi.core.admin_site.MadoguchiAdminSite"
