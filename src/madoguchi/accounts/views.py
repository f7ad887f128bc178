"""Sign-up, sign-in (with TOTP for staff), e-mail verification, password reset and the resident's profile."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.audit.services import client_ip
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.ratelimit import rate_limit

from . import mfa, services, throttling
from .forms import (
    LoginForm,
    MadoguchiPasswordResetForm,
    MadoguchiSetPasswordForm,
    MfaCodeForm,
    MfaEnrolForm,
    ProfileForm,
    SignUpForm,
)
from .models import Profile, TOTPDevice
from .permissions import requires_mfa

BACKEND = "madoguchi.accounts.backends.EmailBackend"
GENERIC_LOGIN_ERROR = gettext_lazy("メールアドレスまたはパスワードが正しくありません。")


def lockout_error() -> str:
    minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
    return _(
        "ログインに続けて失敗したため、しばらくの間ログインできません。%(minutes)s分ほどたってからもう一度お試しください。"
    ) % {"minutes": minutes}


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _finish_login(request: HttpRequest, user, *, mfa_verified: bool, next_url: str) -> HttpResponse:
    services.complete_login(request, user, backend=BACKEND, mfa_verified=mfa_verified)
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, user.preferred_language, max_age=60 * 60 * 24 * 365, samesite="Lax"
    )
    return response


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    form = LoginForm(request.POST or None)
    unverified = False
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        ip = client_ip(request)
        if throttling.is_locked_out(email, ip):
            form.add_error(None, lockout_error())
        else:
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                throttling.record_failure(email, ip)
                form.add_error(None, GENERIC_LOGIN_ERROR)
            else:
                throttling.clear_failures(email)
                if requires_mfa(user):
                    services.start_mfa(request, user, backend=BACKEND)
                    enrolled = TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
                    target = "accounts:mfa_verify" if enrolled else "accounts:mfa_enrol"
                    return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': next_url})}")
                if user.email_verified_at is None:
                    unverified = True
                    form.add_error(
                        None,
                        _("メールアドレスの確認が済んでいません。登録時に送ったメールのリンクを開いてください。"),
                    )
                else:
                    return _finish_login(request, user, mfa_verified=False, next_url=next_url)
    from madoguchi.identity.selectors import providers_for_login

    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "unverified": unverified, "oidc_providers": providers_for_login(request)},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("ログアウトしました。"))
    return redirect("core:platform_home")


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
@rate_limit("signup")
def signup_view(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None, initial={"preferred_language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        services.resident_sign_up(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            preferred_language=form.cleaned_data["preferred_language"],
            request=request,
        )
        request.session["madoguchi_signup_email"] = form.cleaned_data["email"]
        return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET"])
def signup_done_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/signup_done.html",
        {
            "email": request.session.get("madoguchi_signup_email", ""),
            "days": settings.EMAIL_VERIFICATION_MAX_AGE // 86400,
        },
    )


@require_http_methods(["GET", "POST"])
def verify_email_view(request: HttpRequest, token: str) -> HttpResponse:
    # GET shows a confirm button; only the POST verifies, so mail scanners that prefetch links verify nothing.
    if request.method == "GET":
        return render(request, "accounts/verify_email.html", {"token": token})
    try:
        services.email_verify(token=token, request=request)
    except ServiceError as error:
        return render(request, "accounts/verify_email.html", {"token": token, "error": error.message}, status=400)
    messages.success(request, _("メールアドレスを確認しました。ログインしてください。"))
    return redirect("accounts:login")


@require_POST
@rate_limit("verification_email")
def resend_verification_view(request: HttpRequest) -> HttpResponse:
    from .models import User

    email = (request.POST.get("email") or "").strip()
    user = User.objects.filter(email__iexact=email, email_verified_at__isnull=True, is_active=True).first()
    ip = client_ip(request)
    if user is not None and not throttling.is_locked_out(email, ip):
        services.send_verification_email(user=user, request=request)
        throttling.record_failure(email, ip)  # counts toward the limit, so the link cannot be used to spam
    messages.info(request, _("確認が済んでいないアカウントであれば、確認用のメールを送りました。"))
    return redirect("accounts:login")


def _mfa_subject(request: HttpRequest):
    """The person finishing sign-in: pending after the password, or signed in but not yet MFA-checked."""
    pending = services.pending_mfa_user(request)
    if pending is not None:
        return pending
    if request.user.is_authenticated and not request.session.get(services.SESSION_MFA_VERIFIED):
        return request.user
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_enrol_view(request: HttpRequest) -> HttpResponse:
    user = _mfa_subject(request)
    if user is None:
        return redirect("accounts:login")
    if TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        return redirect(f"{reverse('accounts:mfa_verify')}?{urlencode({'next': _safe_next(request)})}")
    secret = services.totp_pending_secret(user=user) or services.totp_begin_enrolment(user=user)
    form = MfaEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_confirm_enrolment(user=user, code=form.cleaned_data["code"], request=request)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            services.clear_pending_mfa(request)
            show_codes = f"{reverse('accounts:recovery_codes')}?{urlencode({'next': _safe_next(request)})}"
            response = _finish_login(request, user, mfa_verified=True, next_url=show_codes)
            request.session["madoguchi_new_recovery_codes"] = codes
            return response
    uri = mfa.provisioning_uri(secret, account=user.email, issuer=settings.MFA_ISSUER)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, title=_("認証アプリ登録用のQRコード"))
    return render(
        request,
        "accounts/mfa_enrol.html",
        {"form": form, "qr_svg": qr_svg, "secret": secret, "next": _safe_next(request)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_verify_view(request: HttpRequest) -> HttpResponse:
    user = _mfa_subject(request)
    if user is None:
        return redirect("accounts:login")
    form = MfaCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        if throttling.is_locked_out(user.email, ip):
            form.add_error(None, lockout_error())
        else:
            try:
                services.mfa_verify(user=user, code=form.cleaned_data["code"], request=request)
            except ServiceError as error:
                throttling.record_failure(user.email, ip)
                apply_service_error(form, error)
            else:
                throttling.clear_failures(user.email)
                services.clear_pending_mfa(request)
                return _finish_login(request, user, mfa_verified=True, next_url=_safe_next(request))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _safe_next(request)})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """Shows freshly made recovery codes once; POST makes a new set (the old ones stop working)."""
    if not request.session.get(services.SESSION_MFA_VERIFIED):
        return redirect("accounts:mfa_verify")
    if request.method == "POST":
        request.session["madoguchi_new_recovery_codes"] = services.recovery_codes_regenerate(user=request.user)  # type: ignore[arg-type]
        from madoguchi.audit.services import audit_record

        audit_record(action="account.recovery_codes_regenerated", actor=request.user, request=request)
    codes = request.session.pop("madoguchi_new_recovery_codes", None)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _safe_next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile if request.method == "GET" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, data=form.cleaned_data, request=request)  # type: ignore[arg-type]
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("プロフィールを保存しました。"))
            return redirect("accounts:profile")
    from madoguchi.identity.selectors import identities_for_user

    return render(
        request,
        "accounts/profile.html",
        {"form": form, "profile": profile, "identities": identities_for_user(request.user)},
    )


@method_decorator(rate_limit("password_reset"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    form_class = MadoguchiPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset_body.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = MadoguchiSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Setting a password from the e-mailed link proves the address, as verification does.
        user = form.user
        if user.email_verified_at is None:
            from django.utils import timezone

            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
        from madoguchi.audit.services import audit_record

        audit_record(action="account.password_reset", actor=user, request=self.request)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
