"""What each staff role may do. The single source of truth: views ask `has_permission`, tests read the
matrix, and the default is deny (an action not listed for a role is refused)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from .models import Role, StaffMembership

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from madoguchi.core.models import Municipality

    from .models import User


class Perm:
    DASHBOARD = "staff.dashboard"
    USERS_MANAGE = "staff.users.manage"
    DEPARTMENTS_MANAGE = "staff.departments.manage"
    MODULES_MANAGE = "staff.modules.manage"
    SETTINGS_MANAGE = "staff.settings.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    RESIDENTS_VIEW = "residents.view"
    NOTICES_MANAGE = "notices.manage"
    PROCEDURES_MANAGE = "procedures.manage"
    PAYMENTS_MANAGE = "payments.manage"
    API_TOKENS_MANAGE = "staff.api_tokens.manage"
    FAQ_MANAGE = "faq.manage"
    FACILITIES_MANAGE = "facilities.manage"
    FACILITIES_COUNTER = "facilities.counter"
    OPENDATA_MANAGE = "opendata.manage"


ALL_PERMISSIONS = frozenset(value for key, value in vars(Perm).items() if key.isupper())

# What an API token (core.models.ApiToken) may be given: a permission with read or read-write access. A module
# whose staff API accepts tokens adds its permission here; the token screen offers exactly these.
API_TOKEN_PERMISSIONS: tuple[tuple[str, Promise], ...] = ((Perm.PROCEDURES_MANAGE, _("電子申請の受付・審査")),)
API_TOKEN_SCOPES = frozenset(
    f"{permission}:{access}" for permission, _label in API_TOKEN_PERMISSIONS for access in ("read", "write")
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.MUNICIPALITY_ADMIN: frozenset(
        {
            Perm.DASHBOARD,
            Perm.USERS_MANAGE,
            Perm.DEPARTMENTS_MANAGE,
            Perm.MODULES_MANAGE,
            Perm.SETTINGS_MANAGE,
            Perm.AUDIT_VIEW,
            Perm.AUDIT_EXPORT,
            Perm.RESIDENTS_VIEW,
            Perm.NOTICES_MANAGE,
            Perm.PROCEDURES_MANAGE,
            Perm.PAYMENTS_MANAGE,
            Perm.API_TOKENS_MANAGE,
            Perm.FAQ_MANAGE,
            Perm.FACILITIES_MANAGE,
            Perm.FACILITIES_COUNTER,
            Perm.OPENDATA_MANAGE,
        }
    ),
    Role.DEPARTMENT_STAFF: frozenset(
        {
            Perm.DASHBOARD,
            Perm.NOTICES_MANAGE,
            Perm.PROCEDURES_MANAGE,
            Perm.PAYMENTS_MANAGE,
            Perm.FAQ_MANAGE,
            Perm.FACILITIES_MANAGE,
            Perm.FACILITIES_COUNTER,
            Perm.OPENDATA_MANAGE,
        }
    ),
    Role.COUNTER_STAFF: frozenset({Perm.DASHBOARD, Perm.RESIDENTS_VIEW, Perm.PAYMENTS_MANAGE, Perm.FACILITIES_COUNTER}),
    Role.AUDITOR: frozenset({Perm.DASHBOARD, Perm.AUDIT_VIEW, Perm.AUDIT_EXPORT}),
}


def permissions_for(user: User, municipality: Municipality) -> frozenset[str]:
    """Every permission the user holds in this municipality (platform admins hold all, everywhere)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_platform_admin:
        return ALL_PERMISSIONS
    cache: dict[int, frozenset[str]] = user.__dict__.setdefault("_madoguchi_permissions", {})
    if municipality.pk not in cache:
        roles = StaffMembership.objects.filter(municipality=municipality, user=user, is_active=True).values_list(
            "role", flat=True
        )
        granted: set[str] = set()
        for role in roles:
            granted |= ROLE_PERMISSIONS.get(role, frozenset())
        cache[municipality.pk] = frozenset(granted)
    return cache[municipality.pk]


def department_scope(user: User | AnonymousUser | None, municipality: Municipality) -> frozenset[int] | None:
    """The departments whose records this person may manage here: None means every department (platform and
    municipality admins, and system actions without a user); department staff get their own 課 only."""
    token_scope = getattr(user, "api_token_department_scope", None)
    if token_scope is not None:
        # An API token (core.apitokens.ApiTokenActor): its own departments, never another municipality's.
        return token_scope(municipality)
    if user is None or not user.is_authenticated or user.is_platform_admin:
        return None
    # Asked by selector, form and service within one request: one query per user and municipality.
    cache: dict[int, frozenset[int] | None] = user.__dict__.setdefault("_madoguchi_department_scope", {})
    if municipality.pk not in cache:
        rows = StaffMembership.objects.filter(municipality=municipality, user=user, is_active=True).values_list(
            "role", "department_id"
        )
        if any(role == Role.MUNICIPALITY_ADMIN for role, _department in rows):
            cache[municipality.pk] = None
        else:
            cache[municipality.pk] = frozenset(
                department for role, department in rows if role == Role.DEPARTMENT_STAFF and department is not None
            )
    return cache[municipality.pk]


def has_permission(user: User, municipality: Municipality, permission: str) -> bool:
    return permission in permissions_for(user, municipality)


def requires_mfa(user: User) -> bool:
    """Staff (any active membership anywhere) and platform admins must sign in with a second factor."""
    if user.is_superuser or user.is_staff:
        return True
    with scopes_disabled():  # a platform-wide question: does this person work for any municipality?
        return StaffMembership.objects.filter(user=user, is_active=True).exists()


def staff_municipalities(user: User) -> list[Municipality]:
    from madoguchi.core.models import Municipality

    if user.is_platform_admin:
        return list(Municipality.objects.filter(is_active=True).order_by("code"))
    with scopes_disabled():
        ids = StaffMembership.objects.filter(user=user, is_active=True).values_list("municipality_id", flat=True)
        return list(Municipality.objects.filter(pk__in=list(ids), is_active=True).order_by("code"))
