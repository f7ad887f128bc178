"""OpenID Connect sign-in pages. Thin: parse the request, call one service or selector, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.ratelimit import rate_limit
from madoguchi.core.tenancy import municipality_view

from . import oidc, selectors, services
from .forms import RegistrationCodeForm, RegistrationEmailForm


def _home(request: HttpRequest) -> str:
    return reverse("core:municipality_home", args=[request.municipality.slug])  # type: ignore[attr-defined]


def _start_url(request: HttpRequest, provider_slug: str) -> str:
    return reverse(
        "identity:oidc_start",
        kwargs={"municipality_slug": request.municipality.slug, "provider_slug": provider_slug},  # type: ignore[attr-defined]
    )


@never_cache
@require_GET
@municipality_view
@rate_limit("identity_start", methods=("GET",))
def oidc_start(request: HttpRequest, provider_slug: str) -> HttpResponse:
    provider = selectors.provider_get_enabled(request.municipality, provider_slug)  # type: ignore[attr-defined]
    next_url = selectors.safe_next_url(request, request.GET.get("next"), _home(request))
    return HttpResponseRedirect(services.oidc_login_start(request=request, provider=provider, next_url=next_url))


@never_cache
@require_GET
@municipality_view
def oidc_callback(request: HttpRequest, provider_slug: str) -> HttpResponse:
    provider = selectors.provider_get_enabled(request.municipality, provider_slug)  # type: ignore[attr-defined]
    try:
        outcome = services.oidc_login_complete(request=request, provider=provider, params=request.GET)
    except services.LoginRefused as refusal:
        context = {
            "provider": provider,
            "message": refusal.message,
            "reason": refusal.code,
            "cancelled": refusal.code == "cancelled",
            "retry_url": _start_url(request, provider.slug),
        }
        return render(request, "identity/error.html", context, status=refusal.status)
    if outcome.kind == "linked":
        messages.success(request, _("%(provider)sをアカウントに連携しました。") % {"provider": provider.display_name})
    return HttpResponseRedirect(outcome.redirect_url)


@require_GET
@municipality_view
def relying_party_jwks(request: HttpRequest, provider_slug: str) -> HttpResponse:
    """Our public key for private_key_jwt, for the provider to register (the private half never leaves)."""
    provider = selectors.provider_get(request.municipality, provider_slug)  # type: ignore[attr-defined]
    jwk = provider.get_private_key_jwk()
    if not jwk:
        raise Http404
    response = JsonResponse({"keys": [oidc.public_jwk(jwk)]})
    response["Cache-Control"] = "public, max-age=300"
    return response


def _registration_or_restart(request: HttpRequest) -> dict | None:
    return services.pending_registration(request, request.municipality)  # type: ignore[attr-defined]


def _expired_page(request: HttpRequest) -> HttpResponse:
    context = {"message": services.MESSAGE_EXPIRED, "reason": "registration_missing", "retry_url": None}
    return render(request, "identity/error.html", context, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
@municipality_view
@rate_limit("verification_email")
def register_email(request: HttpRequest) -> HttpResponse:
    pending = _registration_or_restart(request)
    if pending is None:
        return _expired_page(request)
    form = RegistrationEmailForm(
        request.POST or None, initial={"email": pending.get("email") or pending.get("email_hint")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.registration_send_code(
                request=request,
                municipality=request.municipality,  # type: ignore[attr-defined]
                email=form.cleaned_data["email"],
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            return redirect("identity:register_confirm", municipality_slug=request.municipality.slug)  # type: ignore[attr-defined]
    return render(request, "identity/register_email.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@municipality_view
def register_confirm(request: HttpRequest) -> HttpResponse:
    pending = _registration_or_restart(request)
    if pending is None:
        return _expired_page(request)
    if not pending.get("code_digest"):
        return redirect("identity:register_email", municipality_slug=request.municipality.slug)  # type: ignore[attr-defined]
    form = RegistrationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.registration_confirm(
                request=request,
                municipality=request.municipality,  # type: ignore[attr-defined]
                code=form.cleaned_data["code"],
            )
        except ServiceError as error:
            if error.code == "too_many_failures":
                return render(
                    request,
                    "identity/error.html",
                    {"message": error.message, "reason": error.code},
                    status=400,
                )
            if error.code == "email_taken":
                messages.info(request, str(error.message))
                return redirect("identity:register_email", municipality_slug=request.municipality.slug)  # type: ignore[attr-defined]
            apply_service_error(form, error)
        else:
            return HttpResponseRedirect(outcome.redirect_url)
    return render(request, "identity/register_confirm.html", {"form": form, "email": pending.get("email", "")})
