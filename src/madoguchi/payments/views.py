"""Resident-facing payment pages: the return from a hosted payment page, and the receipt (領収書)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from madoguchi.core.tenancy import municipality_view

from . import purposes, selectors, services

OUTCOME_MESSAGES = {
    "failed": (
        messages.ERROR,
        _(
            "カードでのお支払いができませんでした。申請はまだ送信されていません。入力内容はそのままです。もう一度お試しいただくか、ほかのお支払い方法を選んでください。"
        ),
    ),
    "canceled": (messages.WARNING, _("お支払いを中止しました。申請はまだ送信されていません。入力内容はそのままです。")),
    "pending": (messages.INFO, _("お支払いの結果を確認しています。しばらくしてからこの画面を再読み込みしてください。")),
}


@never_cache
@require_GET
@municipality_view
def payment_return(request: HttpRequest, payment_id: str) -> HttpResponse:
    """Where the provider sends the resident back. The parameters are only a hint: the service verifies their
    signature and asks the provider, so a tampered URL changes nothing."""
    municipality = request.municipality  # type: ignore[attr-defined]
    payment = selectors.payment_get(municipality, payment_id)
    outcome = services.payment_confirm_return(payment=payment, params=request.GET.dict(), request=request)
    purpose = purposes.get(payment.purpose)
    texts = OUTCOME_MESSAGES if purpose is None or purpose.outcome_messages is None else purpose.outcome_messages
    if outcome in texts:
        level, text = texts[outcome]
        messages.add_message(request, level, str(text))
    if purpose is None:
        return redirect("core:municipality_home", municipality_slug=municipality.slug)
    payment.refresh_from_db()
    return redirect(purpose.next_url(payment, outcome))


@never_cache
@require_GET
@municipality_view
def receipt(request: HttpRequest, payment_id: str) -> HttpResponse:
    """領収書: the resident's own paid payment (anyone else, or an unpaid one: 404)."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    municipality = request.municipality  # type: ignore[attr-defined]
    payment = selectors.payment_get_for_payer(municipality, request.user, payment_id)
    purpose = purposes.get(payment.purpose)
    # Back to what was paid for (the application, the booking), as the purpose that took the money says.
    back_url = purpose.next_url(payment, "paid") if purpose is not None else f"/{municipality.slug}/"
    return render(
        request,
        "payments/receipt.html",
        {"payment": payment, "described": purposes.describe(payment), "back_url": back_url},
    )
