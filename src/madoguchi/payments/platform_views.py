"""Platform paths under /payments/ (no municipality in the URL): providers' webhooks, and the built-in test
gateway's hosted payment page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from madoguchi.core.errors import error_body

from . import testgateway
from .adapters import ProviderError
from .forms import CardForm
from .services import webhook_receive

WEBHOOK_ANSWERS = {
    200: ("received", ""),
    400: ("signature_invalid", _("署名を確認できない通知です。")),
    404: ("not_found", _("見つかりません。")),
    413: ("payload_too_large", _("通知が大きすぎます。")),
    422: ("payment_mismatch", _("通知の内容が支払いの記録と一致しません。")),
}
MAX_WEBHOOK_BODY = 64 * 1024


@csrf_exempt  # a server-to-server call authenticated by its HMAC signature, not by a session
@require_POST
def webhook(request: HttpRequest, adapter_key: str, account_id: str) -> JsonResponse:
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_WEBHOOK_BODY:
        status = 413
    else:
        status = webhook_receive(
            adapter_key=adapter_key, account_id=account_id, headers=request.headers, body=request.body
        )
    code, message = WEBHOOK_ANSWERS.get(status, ("error", ""))
    if status == 200:
        return JsonResponse({"received": True})
    return JsonResponse(error_body(code, str(message)), status=status, json_dumps_params={"ensure_ascii": False})


def _checkout(reference: str) -> tuple[testgateway.TestGatewayCharge, testgateway.PaymentAccount]:
    try:
        return testgateway.checkout_get(reference)
    except ProviderError as exc:
        raise Http404 from exc


@never_cache
@require_http_methods(["GET", "POST"])
def test_gateway_checkout(request: HttpRequest, reference: str) -> HttpResponse:
    """The hosted payment page: the merchant (municipality) and the amount, then the card."""
    charge, account = _checkout(reference)
    declined = False
    form = CardForm(request.POST or None)
    if request.method == "POST" and charge.status == charge.Status.OPEN and form.is_valid():
        try:
            charge, back = testgateway.checkout_pay(reference, form.cleaned_data["card_number"])
        except ProviderError as exc:
            raise Http404 from exc
        if back is not None:
            return HttpResponseRedirect(back)
        declined = True
        form = CardForm()
    status = 400 if (request.method == "POST" and (form.errors or declined)) else 200
    return render(
        request,
        "payments/test_gateway_checkout.html",
        {"charge": charge, "merchant": account.municipality, "form": form, "declined": declined},
        status=status,
    )


@never_cache
@require_POST
def test_gateway_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    _checkout(reference)
    try:
        back = testgateway.checkout_cancel(reference)
    except ProviderError as exc:
        raise Http404 from exc
    return HttpResponseRedirect(back)
