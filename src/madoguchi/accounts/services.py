"""Every write to accounts: sign-up, verification, sign-in with MFA, profiles and staff memberships."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from madoguchi.audit.services import audit_record
from madoguchi.core.email import send_templated_email
from madoguchi.core.errors import ServiceError
from madoguchi.core.models import Department, Municipality

from . import mfa
from .models import Profile, RecoveryCode, Role, StaffMembership, TOTPDevice, User

EMAIL_VERIFICATION_SALT = "madoguchi.accounts.verify-email"
SESSION_MFA_VERIFIED = "madoguchi_mfa_verified"
SESSION_MFA_PENDING_USER = "madoguchi_mfa_pending_user"
SESSION_MFA_PENDING_BACKEND = "madoguchi_mfa_pending_backend"


def absolute_url(request: HttpRequest | None, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def email_verification_token(user: User) -> str:
    return signing.dumps({"user": str(user.public_id), "email": user.email}, salt=EMAIL_VERIFICATION_SALT)


@transaction.atomic
def resident_sign_up(*, email: str, password: str, preferred_language: str, request: HttpRequest | None) -> User | None:
    """Create a resident account and send the verification e-mail.

    When the address is already registered, no account is created and the owner is told by e-mail instead;
    the caller shows the same page either way, so sign-up never reveals which addresses have accounts.
    """
    email = email.strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        send_templated_email(
            to=existing.email,
            template="accounts/email/already_registered",
            context={
                "login_url": absolute_url(request, reverse("accounts:login")),
                "reset_url": absolute_url(request, reverse("accounts:password_reset")),
            },
            language=existing.preferred_language,
        )
        return None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, preferred_language=preferred_language)
    except IntegrityError:  # a concurrent sign-up with the same address won the race
        return None
    Profile.objects.create(user=user)
    audit_record(action="account.signed_up", actor=user, request=request)
    send_verification_email(user=user, request=request)
    return user


def send_verification_email(*, user: User, request: HttpRequest | None) -> None:
    token = email_verification_token(user)
    send_templated_email(
        to=user.email,
        template="accounts/email/verify",
        context={
            "verify_url": absolute_url(request, reverse("accounts:verify_email", args=[token])),
            "days": settings.EMAIL_VERIFICATION_MAX_AGE // 86400,
        },
        language=user.preferred_language,
    )


@transaction.atomic
def email_verify(*, token: str, request: HttpRequest | None) -> User:
    try:
        payload = signing.loads(token, salt=EMAIL_VERIFICATION_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ServiceError(
            "token_expired", _("確認用リンクの有効期限が切れています。もう一度メールを送信してください。")
        ) from exc
    except signing.BadSignature as exc:
        raise ServiceError(
            "token_invalid", _("確認用リンクが正しくありません。メールのリンクをそのまま開いてください。")
        ) from exc
    user = User.objects.select_for_update().filter(public_id=payload.get("user"), email=payload.get("email")).first()
    if user is None:
        raise ServiceError(
            "token_invalid", _("確認用リンクが正しくありません。メールのリンクをそのまま開いてください。")
        )
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit_record(action="account.email_verified", actor=user, request=request)
    return user


def complete_login(request: HttpRequest, user: User, *, backend: str, mfa_verified: bool) -> None:
    """Start the session (rotating its key) and remember whether the second factor was checked."""
    login(request, user, backend=backend)
    request.session[SESSION_MFA_VERIFIED] = mfa_verified
    audit_record(action="account.signed_in", actor=user, request=request, details={"mfa": mfa_verified})


def start_mfa(request: HttpRequest, user: User, *, backend: str) -> None:
    """The password was right; hold the user as pending until the second factor is checked."""
    request.session.cycle_key()
    request.session[SESSION_MFA_PENDING_USER] = user.pk
    request.session[SESSION_MFA_PENDING_BACKEND] = backend


def pending_mfa_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(SESSION_MFA_PENDING_USER)
    if not user_id:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def clear_pending_mfa(request: HttpRequest) -> str:
    request.session.pop(SESSION_MFA_PENDING_USER, None)
    return request.session.pop(SESSION_MFA_PENDING_BACKEND, "madoguchi.accounts.backends.EmailBackend")


@transaction.atomic
def totp_begin_enrolment(*, user: User) -> str:
    """Create (or replace an unconfirmed) authenticator secret; returns the secret to show as a QR code."""
    secret = mfa.new_secret()
    device = TOTPDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise ServiceError("already_enrolled", _("認証アプリはすでに登録されています。"))
    if device is None:
        TOTPDevice.objects.create(user=user, encrypted_secret=mfa.encrypt_secret(secret))
    else:
        device.encrypted_secret = mfa.encrypt_secret(secret)
        device.save(update_fields=["encrypted_secret"])
    return secret


def totp_pending_secret(*, user: User) -> str | None:
    device = TOTPDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    return mfa.decrypt_secret(device.encrypted_secret) if device else None


@transaction.atomic
def totp_confirm_enrolment(*, user: User, code: str, request: HttpRequest | None) -> list[str]:
    """Confirm the authenticator with its first code; returns fresh recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        raise ServiceError("not_enrolling", _("登録手続きがみつかりません。最初からやり直してください。"))
    step = mfa.matching_step(mfa.decrypt_secret(device.encrypted_secret), code)
    if step is None:
        raise ServiceError(
            "invalid_code",
            _("確認コードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。"),
            field="code",
        )
    device.confirmed_at = timezone.now()
    device.last_used_step = step
    device.save(update_fields=["confirmed_at", "last_used_step"])
    codes = recovery_codes_regenerate(user=user)
    audit_record(action="account.mfa_enrolled", actor=user, request=request)
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = mfa.new_recovery_codes()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_digest=mfa.recovery_digest(c)) for c in codes)
    return codes


def mfa_verify(*, user: User, code: str, request: HttpRequest | None) -> str:
    """Check a TOTP code (never the same step twice) or an unused recovery code. Returns the method used.

    A failure is audited after the checking transaction, so the event survives the refusal.
    """
    method = _mfa_check(user=user, code=code, request=request)
    if method is None:
        audit_record(action="account.mfa_failed", actor=user, request=request)
        raise ServiceError(
            "invalid_code",
            _("確認コードが正しくありません。認証アプリの6桁の数字、またはリカバリーコードを入力してください。"),
            field="code",
        )
    return method


@transaction.atomic
def _mfa_check(*, user: User, code: str, request: HttpRequest | None) -> str | None:
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise ServiceError("not_enrolled", _("認証アプリが登録されていません。"))
    compact = "".join(code.split())
    if compact.isdigit():
        step = mfa.matching_step(mfa.decrypt_secret(device.encrypted_secret), compact)
        if step is not None and step > device.last_used_step:
            device.last_used_step = step
            device.save(update_fields=["last_used_step"])
            return "totp"
        return None
    recovery = (
        RecoveryCode.objects.select_for_update()
        .filter(user=user, code_digest=mfa.recovery_digest(compact), used_at__isnull=True)
        .first()
    )
    if recovery is None:
        return None
    recovery.used_at = timezone.now()
    recovery.save(update_fields=["used_at"])
    audit_record(action="account.recovery_code_used", actor=user, request=request)
    return "recovery_code"


@transaction.atomic
def profile_update(*, user: User, data: dict[str, Any], request: HttpRequest | None) -> Profile:
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    changed = [name for name, value in data.items() if getattr(profile, name) != value]
    for name, value in data.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    if changed:
        audit_record(action="profile.updated", actor=user, request=request, details={"fields": changed})
    return profile


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    if language in dict(settings.LANGUAGES) and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


# --- Staff management (municipality admins) -------------------------------------------------------------


@transaction.atomic
def staff_member_add(
    *,
    municipality: Municipality,
    actor: User,
    email: str,
    family_name: str,
    given_name: str,
    role: str,
    department: Department | None,
    request: HttpRequest | None,
) -> StaffMembership:
    """Give a person a staff role here, creating the account (with an invitation e-mail) if needed.

    Idempotent: adding the same role twice returns the existing membership (re-activated if it was ended).
    """
    if role == Role.DEPARTMENT_STAFF and department is None:
        raise ServiceError("department_required", _("担当課職員には課を指定してください。"), field="department")
    if department is not None and department.municipality_id != municipality.pk:
        raise ServiceError("department_invalid", _("課を選び直してください。"), field="department")
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    invited = False
    if user is None:
        user = User.objects.create_user(email=email, password=None, email_verified_at=None)
        Profile.objects.create(user=user, family_name=family_name, given_name=given_name)
        invited = True
    membership = StaffMembership.objects.filter(municipality=municipality, user=user, role=role).first()
    if membership is None:
        membership = StaffMembership(municipality=municipality, user=user, role=role, department=department)
        membership.full_clean()
        membership.save()
    elif not membership.is_active or membership.department_id != (department.pk if department else None):
        membership.is_active = True
        membership.department = department
        membership.save(update_fields=["is_active", "department"])
    # An invitation whose link expired unused is sent again when the role is added again.
    invited = invited or (not user.has_usable_password() and user.last_login is None)
    audit_record(
        action="staff.membership_added",
        actor=actor,
        municipality=municipality,
        object_type="staff_membership",
        object_id=str(membership.public_id),
        request=request,
        details={"role": role, "department": department.slug if department else None, "invited": invited},
    )
    if invited:
        from django.contrib.auth.tokens import default_token_generator
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        send_templated_email(
            to=user.email,
            template="accounts/email/staff_invitation",
            context={
                "municipality": municipality,
                "set_password_url": absolute_url(
                    request, reverse("accounts:password_reset_confirm", args=[uid, token])
                ),
            },
        )
    return membership


@transaction.atomic
def staff_membership_update(
    *,
    membership: StaffMembership,
    actor: User,
    is_active: bool,
    department: Department | None,
    request: HttpRequest | None,
) -> StaffMembership:
    if membership.role == Role.DEPARTMENT_STAFF and department is None:
        raise ServiceError("department_required", _("担当課職員には課を指定してください。"), field="department")
    if department is not None and department.municipality_id != membership.municipality_id:
        raise ServiceError("department_invalid", _("課を選び直してください。"), field="department")
    if membership.user_id == actor.pk and membership.role == Role.MUNICIPALITY_ADMIN and not is_active:
        raise ServiceError(
            "self_lockout", _("自分自身の管理者権限は終了できません。他の管理者に依頼してください。"), field="is_active"
        )
    membership.is_active = is_active
    membership.department = department
    membership.full_clean()
    membership.save(update_fields=["is_active", "department"])
    audit_record(
        action="staff.membership_updated",
        actor=actor,
        municipality=membership.municipality,
        object_type="staff_membership",
        object_id=str(membership.public_id),
        request=request,
        details={"is_active": is_active, "department": department.slug if department else None},
    )
    return membership
