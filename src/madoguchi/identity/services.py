"""Every write of the identity app: the OpenID Connect sign-in flow, linking identities to accounts, creating
accounts for first-time users, and saving provider configurations.

The flow, in the words of OpenID Connect Core §3.1 (authorization code flow) with PKCE (RFC 7636):
  start     state, nonce and a PKCE verifier are made and kept in the session, keyed by state (several
            attempts may run at once, in several tabs); each lives 10 minutes and is used at most once.
  callback  the state must be one we issued in this session and not yet used; the code is exchanged with the
            verifier and the provider's client authentication; the ID token is verified (signature, iss,
            aud, exp, iat, nonce); UserInfo is read when configured.
  account   a known identity signs its account in; otherwise a signed-in person links it to their account;
            otherwise a new account is made — after the person proves an e-mail address (see below).
  profile   when an identity is linked, empty Profile fields are filled from 基本4情報 (once: later sign-ins
            never touch the profile, so what the resident changed or cleared stays as they left it).

Why a new account needs a proven e-mail address: accounts are keyed by e-mail (the model requires one) and
デジタル認証アプリ gives none. Creating the account only after a code sent to the address is entered means no
account ever holds an address its owner did not prove, and an existing account is never joined to an
identity because an address matched (the account-takeover pattern). When the address belongs to an account
already, the person is told to sign in to it and link from there.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts import services as account_services
from madoguchi.accounts.permissions import requires_mfa
from madoguchi.audit.services import audit_record
from madoguchi.core.email import send_templated_email
from madoguchi.core.errors import ServiceError
from madoguchi.core.models import Municipality

from . import claims as claim_mapping
from . import oidc
from .models import ExternalIdentity, IdentityProvider
from .selectors import SESSION_ASSURANCE

BACKEND = "madoguchi.accounts.backends.EmailBackend"
SESSION_ATTEMPTS = "madoguchi_oidc_attempts"
SESSION_PENDING = "madoguchi_oidc_pending"
ATTEMPT_LIFETIME = 10 * 60
MAX_CONCURRENT_ATTEMPTS = 5
PENDING_LIFETIME = 30 * 60
CODE_LIFETIME = 10 * 60
MAX_CODE_FAILURES = 5
MAX_CODES_SENT = 3
EMAIL_CODE_SALT = "madoguchi.identity.email-code"
# Claims kept in the session between the callback and the e-mail step (to prefill the new profile).
_PREFILL_CLAIMS = ("name", "family_name", "given_name", "address", "birthdate")

MESSAGE_RETRY = _("ログインの手続きを確認できませんでした。お手数ですが、最初からやり直してください。")
MESSAGE_EXPIRED = _("ログインの手続きの有効期限（10分）が切れました。お手数ですが、最初からやり直してください。")
MESSAGE_CANCELLED = _("ログインが中止されました。もう一度お試しいただくか、ほかの方法でログインしてください。")
MESSAGE_PROVIDER = _("認証サービスでエラーが発生しました。しばらくたってから、もう一度お試しください。")
MESSAGE_TOKEN = _("認証サービスとの通信に失敗しました。しばらくたってから、もう一度お試しください。")
MESSAGE_ID_TOKEN = _("本人確認の結果を確かめられなかったため、ログインできませんでした。最初からやり直してください。")
MESSAGE_INACTIVE = _("このアカウントは利用できません。お困りの場合は窓口にお問い合わせください。")
MESSAGE_ALREADY_LINKED = _(
    "このアカウントには、別の方の本人確認情報がすでに連携されています。ご本人のアカウントでログインし直してください。"
)
MESSAGE_CONFLICT = _("同時に別の手続きが行われました。お手数ですが、もう一度お試しください。")


class LoginRefused(ServiceError):
    """A sign-in attempt was refused. `code` is the reason written to the audit log (never a secret)."""

    def __init__(self, code: str, message: str | Promise, *, status: int = 400, provider_error: str = ""):
        super().__init__(code, message, status=status)
        self.provider_error = provider_error


@dataclass(frozen=True)
class LoginOutcome:
    """Where the browser goes next and what happened: signed_in, linked, mfa_required or needs_email."""

    kind: str
    redirect_url: str


# --- session bookkeeping --------------------------------------------------------------------------


def _live_attempts(request: HttpRequest, now: float) -> dict[str, dict[str, Any]]:
    attempts = request.session.get(SESSION_ATTEMPTS)
    if not isinstance(attempts, dict):
        return {}
    return {
        state: attempt
        for state, attempt in attempts.items()
        if isinstance(attempt, dict) and now - attempt.get("created", 0) < ATTEMPT_LIFETIME
    }


def _take_attempt(request: HttpRequest, state: str) -> dict[str, Any] | None:
    """Remove and return the attempt for this state (so it can never be used twice); None if unknown.

    An expired attempt is returned too (marked), so the person is told it expired rather than "unknown".
    """
    attempts = request.session.get(SESSION_ATTEMPTS)
    if not isinstance(attempts, dict) or not state or state not in attempts:
        return None
    attempt = attempts.pop(state)
    request.session[SESSION_ATTEMPTS] = attempts
    return attempt if isinstance(attempt, dict) else None


def callback_path(provider: IdentityProvider) -> str:
    return reverse(
        "identity:oidc_callback",
        kwargs={"municipality_slug": provider.municipality.slug, "provider_slug": provider.slug},
    )


# --- start ----------------------------------------------------------------------------------------


def oidc_login_start(*, request: HttpRequest, provider: IdentityProvider, next_url: str) -> str:
    """Begin a sign-in: remember state, nonce and PKCE verifier in the session; return the authorization URL.

    `next_url` must already be checked to be on this host (selectors.safe_next_url).
    """
    now = time.time()
    attempts = _live_attempts(request, now)
    while len(attempts) >= MAX_CONCURRENT_ATTEMPTS:  # keep the newest few: one per open tab is plenty
        attempts.pop(min(attempts, key=lambda s: attempts[s].get("created", 0)))
    state, nonce, verifier = oidc.new_state(), oidc.new_nonce(), oidc.new_code_verifier()
    redirect_uri = request.build_absolute_uri(callback_path(provider))
    attempts[state] = {
        "provider": provider.pk,
        "municipality": provider.municipality_id,
        "nonce": nonce,
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "next": next_url,
        "created": now,
    }
    request.session[SESSION_ATTEMPTS] = attempts
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(provider.scope_list),
        "state": state,
        "nonce": nonce,
        "code_challenge": oidc.code_challenge_s256(verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return f"{provider.authorization_endpoint}{separator}{urlencode(params)}"


# --- callback -------------------------------------------------------------------------------------


def _sanitised_provider_error(value: str) -> str:
    """The provider's `error` code if it looks like one (RFC 6749 error codes), else "other"."""
    return value if value and len(value) <= 40 and all(c.isalnum() or c == "_" for c in value) else "other"


def oidc_login_complete(*, request: HttpRequest, provider: IdentityProvider, params: Any) -> LoginOutcome:
    """Finish a sign-in from the provider's redirect. Raises LoginRefused (audited) when anything is off."""
    try:
        return _complete(request, provider, params)
    except LoginRefused as refusal:
        details: dict[str, Any] = {"provider": provider.slug, "reason": refusal.code}
        if refusal.provider_error:
            details["provider_error"] = refusal.provider_error
        audit_record(
            action="identity.oidc_failed",
            actor=request.user if request.user.is_authenticated else None,
            municipality=provider.municipality,
            object_type="identity_provider",
            object_id=str(provider.public_id),
            request=request,
            details=details,
        )
        raise


def _complete(request: HttpRequest, provider: IdentityProvider, params: Any) -> LoginOutcome:
    attempt = _take_attempt(request, str(params.get("state", "")))
    if attempt is None:
        raise LoginRefused("state_invalid", MESSAGE_RETRY)
    if attempt.get("provider") != provider.pk or attempt.get("municipality") != provider.municipality_id:
        raise LoginRefused("state_invalid", MESSAGE_RETRY)
    if time.time() - attempt.get("created", 0) >= ATTEMPT_LIFETIME:
        raise LoginRefused("state_expired", MESSAGE_EXPIRED)
    if params.get("error"):
        error = _sanitised_provider_error(str(params.get("error")))
        if error == "access_denied":
            raise LoginRefused("cancelled", MESSAGE_CANCELLED, status=200, provider_error=error)
        raise LoginRefused("provider_error", MESSAGE_PROVIDER, provider_error=error)
    code = str(params.get("code", ""))
    if not code:
        raise LoginRefused("code_missing", MESSAGE_RETRY)
    try:
        tokens = oidc.exchange_code(
            provider, code=code, redirect_uri=attempt["redirect_uri"], code_verifier=attempt["verifier"]
        )
    except oidc.ProtocolError as error:
        raise LoginRefused(
            error.reason, MESSAGE_TOKEN, status=502 if error.reason.endswith("unreachable") else 400
        ) from error
    try:
        id_claims = oidc.verify_id_token(provider, tokens.id_token, nonce=attempt["nonce"])
        claims = dict(id_claims)
        if provider.userinfo_endpoint:
            userinfo = oidc.fetch_userinfo(provider, access_token=tokens.access_token, subject=id_claims["sub"])
            claims.update({k: v for k, v in userinfo.items() if k not in ("iss", "aud", "exp", "iat", "nonce")})
    except oidc.ProtocolError as error:
        raise LoginRefused(error.reason, MESSAGE_ID_TOKEN) from error
    return _sign_in_or_link(request, provider, claims, next_url=attempt.get("next") or "/")


def _verified_claims_snapshot(claims: dict[str, Any]) -> dict[str, Any]:
    snapshot: dict[str, Any] = {"claims": claim_mapping.received_claim_names(claims)}
    acr = claims.get("acr")
    if isinstance(acr, str) and len(acr) <= 64:
        snapshot["acr"] = acr
    return snapshot


def _sign_in_or_link(
    request: HttpRequest, provider: IdentityProvider, claims: dict[str, Any], *, next_url: str
) -> LoginOutcome:
    subject = claims["sub"]
    now = timezone.now()
    try:
        with transaction.atomic():
            identity = (
                ExternalIdentity.objects.select_for_update()
                .select_related("user")
                .filter(provider=provider, subject=subject)
                .first()
            )
            if identity is not None:
                if not identity.user.is_active:
                    raise LoginRefused("account_inactive", MESSAGE_INACTIVE, status=403)
                identity.last_login_at = now
                identity.identity_level = provider.identity_level
                identity.verified_claims = _verified_claims_snapshot(claims)
                identity.save(update_fields=["last_login_at", "identity_level", "verified_claims"])
                return _sign_in(request, provider, identity, next_url=next_url, how="existing_identity")
            if request.user.is_authenticated:
                user = request.user
                if ExternalIdentity.objects.filter(provider=provider, user=user).exists():
                    raise LoginRefused("already_linked", MESSAGE_ALREADY_LINKED, status=409)
                identity = _link(request, provider, user, claims, now=now)
                request.session.pop(SESSION_PENDING, None)
                _remember_assurance(request, provider)
                return LoginOutcome("linked", next_url)
            email = _trusted_email(claims)
            if email is not None:
                user = _create_account(request=request, provider=provider, email=email)
                identity = _link(request, provider, user, claims, now=now)
                return _sign_in(request, provider, identity, next_url=next_url, how="new_account")
    except IntegrityError as exc:  # the same identity or address arrived twice at the same moment
        raise LoginRefused("link_conflict", MESSAGE_CONFLICT, status=409) from exc
    _start_registration(request, provider, claims, next_url=next_url)
    return LoginOutcome(
        "needs_email",
        reverse("identity:register_email", kwargs={"municipality_slug": provider.municipality.slug}),
    )


def _trusted_email(claims: dict[str, Any]) -> str | None:
    """The e-mail claim, only when the provider says it verified it and no account uses it yet."""
    email = claims.get("email")
    if claims.get("email_verified") is not True or not isinstance(email, str):
        return None
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        return None
    if get_user_model().objects.filter(email__iexact=email).exists():
        return None  # the person proves the address (and learns it has an account) in the e-mail step
    return email


def _create_account(*, request: HttpRequest, provider: IdentityProvider, email: str) -> Any:
    """A resident account with a proven address and no password (they sign in with the provider, or set a
    password later through "パスワードを忘れた方")."""
    from madoguchi.accounts.models import Profile

    user = get_user_model().objects.create_user(
        email=email,
        password=None,
        email_verified_at=timezone.now(),
        preferred_language=(get_language() or "ja")[:2],
    )
    Profile.objects.create(user=user)
    audit_record(action="account.signed_up", actor=user, request=request, details={"via": provider.slug})
    return user


def _link(
    request: HttpRequest,
    provider: IdentityProvider,
    user: Any,
    claims: dict[str, Any],
    *,
    now: Any,
    snapshot: dict[str, Any] | None = None,
) -> ExternalIdentity:
    identity = ExternalIdentity(
        municipality=provider.municipality,
        user=user,
        provider=provider,
        subject=claims["sub"],
        identity_level=provider.identity_level,
        verified_claims=snapshot if snapshot is not None else _verified_claims_snapshot(claims),
        first_login_at=now,
        last_login_at=now,
    )
    identity.full_clean(validate_unique=False, validate_constraints=False)  # the database enforces those
    identity.save()
    audit_record(
        action="identity.linked",
        actor=user,
        municipality=provider.municipality,
        object_type="external_identity",
        object_id=str(identity.public_id),
        request=request,
        details={"provider": provider.slug, "identity_level": provider.identity_level},
    )
    _prefill_profile(request, user, claims)
    return identity


def _prefill_profile(request: HttpRequest, user: Any, claims: dict[str, Any]) -> None:
    """Fill empty profile fields from 基本4情報 via the accounts service (which audits field names)."""
    from madoguchi.accounts.models import Profile

    profile, _created = Profile.objects.get_or_create(user=user)
    current = {field: getattr(profile, field) for field in (*claim_mapping.NAME_FIELDS, *claim_mapping.ADDRESS_FIELDS)}
    current["birth_date"] = profile.birth_date
    updates = claim_mapping.profile_prefill(claims, current)
    if not updates:
        return
    try:
        account_services.profile_update(user=user, data=updates, request=request)
    except ValidationError:
        # A value the provider sent does not fit our rules: sign in anyway, the resident can type it.
        return


def _remember_assurance(request: HttpRequest, provider: IdentityProvider) -> None:
    request.session[SESSION_ASSURANCE] = {
        "level": provider.identity_level,
        "provider": provider.slug,
        "municipality": provider.municipality_id,
        "at": int(time.time()),
    }


def _sign_in(
    request: HttpRequest, provider: IdentityProvider, identity: ExternalIdentity, *, next_url: str, how: str
) -> LoginOutcome:
    user = identity.user
    audit_record(
        action="identity.oidc_login",
        actor=user,
        municipality=provider.municipality,
        object_type="external_identity",
        object_id=str(identity.public_id),
        request=request,
        details={"provider": provider.slug, "how": how, "identity_level": provider.identity_level},
    )
    request.session.pop(SESSION_PENDING, None)
    if requires_mfa(user):
        # Staff keep their second factor: the provider replaces the password, not the authenticator.
        account_services.start_mfa(request, user, backend=BACKEND)
        return LoginOutcome("mfa_required", f"{reverse('accounts:mfa_enrol')}?{urlencode({'next': next_url})}")
    account_services.complete_login(request, user, backend=BACKEND, mfa_verified=False)
    _remember_assurance(request, provider)
    return LoginOutcome("signed_in", next_url)


# --- first-time registration: prove an e-mail address ---------------------------------------------


def _start_registration(
    request: HttpRequest, provider: IdentityProvider, claims: dict[str, Any], *, next_url: str
) -> None:
    email_hint = claims.get("email") if isinstance(claims.get("email"), str) else ""
    request.session[SESSION_PENDING] = {
        "provider": provider.pk,
        "municipality": provider.municipality_id,
        "subject": claims["sub"],
        "claims": {name: claims[name] for name in _PREFILL_CLAIMS if name in claims},
        "snapshot": _verified_claims_snapshot(claims),
        "email_hint": (email_hint or "")[:254],
        "next": next_url,
        "created": time.time(),
        "email": "",
        "code_digest": "",
        "code_created": 0,
        "code_failures": 0,
        "codes_sent": 0,
    }
    audit_record(
        action="identity.registration_started",
        municipality=provider.municipality,
        object_type="identity_provider",
        object_id=str(provider.public_id),
        request=request,
        details={"provider": provider.slug},
    )


def pending_registration(request: HttpRequest, municipality: Municipality) -> dict[str, Any] | None:
    """The identity waiting for an e-mail address in this session, if it is this municipality's and fresh."""
    pending = request.session.get(SESSION_PENDING)
    if not isinstance(pending, dict) or pending.get("municipality") != municipality.pk:
        return None
    if time.time() - pending.get("created", 0) >= PENDING_LIFETIME:
        request.session.pop(SESSION_PENDING, None)
        return None
    return pending


def _code_digest(email: str, code: str) -> str:
    return salted_hmac(EMAIL_CODE_SALT, f"{email}:{code}", algorithm="sha256").hexdigest()


def registration_send_code(*, request: HttpRequest, municipality: Municipality, email: str) -> None:
    """Send a 6-digit confirmation code to the address given; only a keyed hash of the code is kept."""
    pending = pending_registration(request, municipality)
    if pending is None:
        raise ServiceError("registration_missing", MESSAGE_EXPIRED)
    if pending["codes_sent"] >= MAX_CODES_SENT:
        raise ServiceError(
            "too_many_codes",
            _("確認コードの送信回数が上限に達しました。お手数ですが、最初からやり直してください。"),
            field="email",
        )
    email = email.strip().lower()
    code = f"{secrets.randbelow(1_000_000):06d}"
    pending.update(
        email=email,
        code_digest=_code_digest(email, code),
        code_created=time.time(),
        code_failures=0,
        codes_sent=pending["codes_sent"] + 1,
    )
    request.session[SESSION_PENDING] = pending
    send_templated_email(
        to=email,
        template="identity/email/confirm_code",
        context={"code": code, "minutes": CODE_LIFETIME // 60, "municipality": municipality},
        language=(get_language() or "ja")[:2],
    )
    audit_record(
        action="identity.registration_code_sent",
        municipality=municipality,
        request=request,
        details={"provider_id": pending["provider"], "attempt": pending["codes_sent"]},
    )


def registration_confirm(*, request: HttpRequest, municipality: Municipality, code: str) -> LoginOutcome:
    """Check the code; on success create the account, link the identity, prefill the profile and sign in."""
    pending = pending_registration(request, municipality)
    if pending is None or not pending.get("code_digest"):
        raise ServiceError("registration_missing", MESSAGE_EXPIRED)
    if time.time() - pending["code_created"] >= CODE_LIFETIME:
        raise ServiceError(
            "code_expired",
            _("確認コードの有効期限（10分）が切れました。コードをもう一度送ってください。"),
            field="code",
        )
    compact = "".join(code.split())
    if not constant_time_compare(_code_digest(pending["email"], compact), pending["code_digest"]):
        pending["code_failures"] += 1
        if pending["code_failures"] >= MAX_CODE_FAILURES:
            request.session.pop(SESSION_PENDING, None)
            audit_record(
                action="identity.registration_failed",
                municipality=municipality,
                request=request,
                details={"reason": "too_many_failures"},
            )
            raise ServiceError(
                "too_many_failures",
                _("確認コードを続けて間違えたため、手続きを中止しました。お手数ですが、最初からやり直してください。"),
            )
        request.session[SESSION_PENDING] = pending
        raise ServiceError(
            "invalid_code",
            _("確認コードが正しくありません。メールに記載された6桁の数字を入力してください。"),
            field="code",
        )
    email = pending["email"]
    provider = (
        IdentityProvider.objects.select_related("municipality")
        .filter(pk=pending["provider"], municipality=municipality, is_enabled=True)
        .first()
    )
    if provider is None:
        request.session.pop(SESSION_PENDING, None)
        raise ServiceError("registration_missing", MESSAGE_EXPIRED)
    claims = {**pending["claims"], "sub": pending["subject"]}
    try:
        with transaction.atomic():
            if get_user_model().objects.filter(email__iexact=email).exists():
                raise ServiceError(
                    "email_taken",
                    _(
                        "このメールアドレスのアカウントがすでにあります。そのアカウントにログインしてから、"
                        "もう一度この方法でログインすると連携できます。別のメールアドレスを使うこともできます。"
                    ),
                    field="email",
                )
            user = _create_account(request=request, provider=provider, email=email)
            identity = _link(request, provider, user, claims, now=timezone.now(), snapshot=pending["snapshot"])
    except IntegrityError as exc:
        raise ServiceError("link_conflict", MESSAGE_CONFLICT) from exc
    except ServiceError:
        pending.update(email="", code_digest="")
        request.session[SESSION_PENDING] = pending
        raise
    request.session.pop(SESSION_PENDING, None)
    return _sign_in(request, provider, identity, next_url=pending.get("next") or "/", how="new_account")


# --- provider configuration -----------------------------------------------------------------------


@transaction.atomic
def identity_provider_save(
    *,
    provider: IdentityProvider,
    actor: Any,
    changed_fields: list[str],
    secrets_changed: list[str],
    request: HttpRequest | None,
) -> IdentityProvider:
    """Validate and save a provider configuration; the audit event names changed fields, never secret values.

    Secrets are set on the provider beforehand (set_client_secret / set_private_key_jwk) so that validation
    sees them; `secrets_changed` only names which were replaced.
    """
    created = provider.pk is None
    provider.full_clean()
    provider.save()
    audit_record(
        action="identity.provider_created" if created else "identity.provider_updated",
        actor=actor,
        municipality=provider.municipality,
        object_type="identity_provider",
        object_id=str(provider.public_id),
        request=request,
        details={
            "slug": provider.slug,
            "fields": sorted(changed_fields),
            "replaced": sorted(secrets_changed),
        },
    )
    return provider


@transaction.atomic
def identity_provider_apply_discovery(
    *, provider: IdentityProvider, actor: Any, request: HttpRequest | None
) -> list[str]:
    """Refresh the provider's endpoints from its discovery document (issuer/.well-known/openid-configuration).

    The document must name exactly the configured issuer. Returns the names of the endpoints that changed.
    """
    try:
        endpoints = oidc.discover(provider.issuer)
    except oidc.ProtocolError as error:
        raise ServiceError(
            error.reason, _("ディスカバリー文書を取得できないか、Issuerが一致しません。Issuerを確認してください。")
        ) from error
    changed = sorted(name for name, value in endpoints.items() if getattr(provider, name) != value)
    for name in changed:
        setattr(provider, name, endpoints[name])
    try:
        provider.full_clean()
    except ValidationError as error:
        raise ServiceError("discovery_invalid", "; ".join(error.messages)) from error
    provider.save()
    audit_record(
        action="identity.provider_discovered",
        actor=actor,
        municipality=provider.municipality,
        object_type="identity_provider",
        object_id=str(provider.public_id),
        request=request,
        details={"slug": provider.slug, "fields": changed},
    )
    return changed
