"""API tokens for other systems (基幹系, scripts): `Authorization: Bearer <token>` for the staff API.

A token belongs to one municipality, carries scopes ("<permission>:read" / "<permission>:write") and optionally
a set of departments. Only the SHA-256 digest of the secret is stored. Endpoints accept a token or the staff
session (second factor checked) with `auth=STAFF_API_AUTH` and then call `staff_api_access(...)`, which
resolves the municipality from the path and says 404 / 403 the same way for both kinds of caller.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled
from ninja.security import HttpBearer

from .api import StaffSessionAuth, api_municipality
from .errors import ServiceError
from .models import ApiToken, Municipality

TOKEN_PREFIX = "mdg_"  # noqa: S105 (a marker that this is a Madoguchi token, not a secret)
VISIBLE_PREFIX_LENGTH = 12  # "mdg_" and 8 random characters: enough to recognise, far too little to guess
READ = "read"
WRITE = "write"


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def token_generate() -> tuple[str, str, str]:
    """A new secret, its visible prefix and its digest (only the last two are stored)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:VISIBLE_PREFIX_LENGTH], token_digest(secret)


def scope_name(permission: str, access: str) -> str:
    return f"{permission}:{access}"


def scope_allows(scopes: list[str], permission: str, *, write: bool) -> bool:
    """A write scope includes reading; a read scope never writes."""
    if scope_name(permission, WRITE) in scopes:
        return True
    return not write and scope_name(permission, READ) in scopes


class ApiTokenActor:
    """Who acts when a request carries a token: audit events name it "api-token:<name>" (not a user account,
    so foreign keys to users stay empty and the label says who it was)."""

    is_authenticated = False
    is_platform_admin = False
    is_api_token = True

    def __init__(self, token: ApiToken, department_ids: frozenset[int] | None):
        self.token = token
        self.municipality_id = token.municipality_id
        self._department_ids = department_ids

    def __str__(self) -> str:
        return f"api-token:{self.token.name}"

    @property
    def idempotency_key(self) -> str:
        return f"token:{self.token.pk}"

    def allows(self, permission: str, *, write: bool) -> bool:
        return scope_allows(list(self.token.scopes or []), permission, write=write)

    def api_token_department_scope(self, municipality: Municipality) -> frozenset[int] | None:
        """Read by accounts.permissions.department_scope: None = every department of its own municipality."""
        if municipality.pk != self.municipality_id:
            return frozenset()
        return self._department_ids


def _refuse(code: str, message: str | Promise) -> ServiceError:
    return ServiceError(code, message, status=401)


def api_token_authenticate(secret: str, *, now: Any = None) -> ApiTokenActor:
    """The actor for a presented secret, or a 401 ServiceError (unknown, revoked or expired)."""
    from .services import api_token_mark_used

    now = now or timezone.now()
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200 or not secret.isprintable():
        raise _refuse("token_invalid", _("APIトークンが正しくありません。"))
    # Looked up by digest before any municipality is known: the platform-wide question "whose token is this?".
    with scopes_disabled():
        token = ApiToken.objects.select_related("municipality").filter(digest=token_digest(secret)).first()
        if token is None:
            raise _refuse("token_invalid", _("APIトークンが正しくありません。"))
        if token.revoked_at is not None:
            raise _refuse("token_revoked", _("このAPIトークンは失効しています。"))
        if token.expires_at is not None and token.expires_at <= now:
            raise _refuse("token_expired", _("このAPIトークンは有効期限が切れています。"))
        if not token.municipality.is_active:
            raise _refuse("token_invalid", _("APIトークンが正しくありません。"))
        department_ids = frozenset(token.departments.values_list("pk", flat=True)) or None
        api_token_mark_used(token=token, now=now)
    return ApiTokenActor(token, department_ids)


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer mdg_…`. Without the header the next auth (the staff session) is tried; a token
    that is presented but not valid is a 401 at once (never a silent fall-back to the session)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiTokenActor:
        return api_token_authenticate(token.strip())


# A token, or the back-office session with its second factor: for every staff endpoint of every module.
STAFF_API_AUTH = [ApiTokenAuth(), StaffSessionAuth()]


def actor_key(actor: Any) -> str:
    """The caller part of an Idempotency-Key scope."""
    return actor.idempotency_key if isinstance(actor, ApiTokenActor) else f"user:{actor.pk}"


@contextmanager
def staff_api_access(request: HttpRequest, slug: str, *, permission: str, write: bool) -> Iterator[Municipality]:
    """Enter the municipality of the path for a staff endpoint. Another municipality's token, or a session
    without a role here, is a 404 (the back office does not exist for them); a missing permission or a
    read-only token on a write is a 403."""
    from madoguchi.accounts.permissions import permissions_for

    actor = request.auth  # type: ignore[attr-defined]
    with api_municipality(slug) as municipality:
        if isinstance(actor, ApiTokenActor):
            if actor.municipality_id != municipality.pk:
                raise Http404
            if not actor.allows(permission, write=write):
                raise PermissionDenied
        else:
            granted = permissions_for(actor, municipality)
            if not granted:
                raise Http404
            if permission not in granted:
                raise PermissionDenied
        yield municipality
