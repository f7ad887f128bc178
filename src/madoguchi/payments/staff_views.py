"""Staff payment screens: the list, one payment with its history, 窓口 receipt and refunds."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from madoguchi.accounts.permissions import Perm
from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.staff.decorators import staff_view

from . import purposes, selectors, services
from .forms import PaymentFilterForm, RefundForm
from .models import Payment

PAGE_SIZE = 50


@require_GET
@staff_view(Perm.PAYMENTS_MANAGE)
def payment_list(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = PaymentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    items = selectors.payment_list_for_staff(
        municipality,
        request.user,
        status=filters.get("status", ""),
        method=filters.get("method", ""),
        query=filters.get("q", ""),
    )
    query = request.GET.copy()
    query.pop("page", None)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    for payment in page:
        payment.described = purposes.describe(payment)  # type: ignore[attr-defined]
    return render(
        request,
        "payments/staff_list.html",
        {"form": form, "page_obj": page, "querystring_without_page": (query.urlencode() + "&") if query else ""},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _detail(
    request: HttpRequest, payment: Payment, *, refund_form: RefundForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "payments/staff_detail.html",
        {
            "payment": payment,
            "described": purposes.describe(payment),
            "events": list(payment.events.select_related("actor")),
            "refund_form": refund_form or RefundForm(initial={"amount": payment.refundable_amount or None}),
        },
        status=status,
    )


@require_GET
@staff_view(Perm.PAYMENTS_MANAGE)
def payment_detail(request: HttpRequest, payment_id: str) -> HttpResponse:
    payment = selectors.payment_get_for_staff(request.municipality, request.user, payment_id)  # type: ignore[attr-defined]
    return _detail(request, payment)


def _back(request: HttpRequest, payment: Payment) -> HttpResponse:
    nxt = request.POST.get("next", "")
    staff_url = purposes.describe(payment)["staff_url"]
    if nxt and nxt == staff_url:  # only ever back to the paid-for object's own staff page
        return redirect(nxt)
    return redirect("payments_staff:detail", municipality_slug=payment.municipality.slug, payment_id=payment.public_id)


@require_POST
@staff_view(Perm.PAYMENTS_MANAGE)
def payment_counter(request: HttpRequest, payment_id: str) -> HttpResponse:
    """窓口で受領: the resident paid at the counter."""
    payment = selectors.payment_get_for_staff(request.municipality, request.user, payment_id)  # type: ignore[attr-defined]
    try:
        payment = services.payment_record_counter(payment=payment, actor=request.user, request=request)
    except ServiceError as error:
        messages.error(request, str(error.message))
        return _back(request, payment)
    messages.success(
        request, _("窓口での受領を記録しました（領収番号 %(number)s）。") % {"number": payment.receipt_number}
    )
    return _back(request, payment)


@require_POST
@staff_view(Perm.PAYMENTS_MANAGE)
def payment_refund(request: HttpRequest, payment_id: str) -> HttpResponse:
    payment = selectors.payment_get_for_staff(request.municipality, request.user, payment_id)  # type: ignore[attr-defined]
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            payment = services.payment_refund(
                payment=payment,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("返金しました。"))
            return redirect(
                "payments_staff:detail", municipality_slug=payment.municipality.slug, payment_id=payment.public_id
            )
    payment.refresh_from_db()
    return _detail(request, payment, refund_form=form, status=400)
