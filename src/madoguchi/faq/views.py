"""Resident pages: the full-page chat (a plain search form without JavaScript), the widget on every page,
"was this helpful?", and the FAQ pages an answer links to as its source."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.ratelimit import hit
from madoguchi.core.tenancy import municipality_view

from . import selectors, services
from .forms import AskForm
from .manifest import KEY, module_required

# The widget's HTML depends on nothing but the municipality's slug and the language (no user, no CSRF token:
# it is a GET form), so each process renders it once per pair instead of on every resident page — rendering
# its form field through the template engine cost about a millisecond a page. Bounded: slugs come from the
# database, not from the request.
_WIDGET_HTML: dict[tuple[str, str], str] = {}
_WIDGET_HTML_MAX = 512


def widget(request: HttpRequest) -> str:
    """The chat box at the end of every resident page (not on the chat page itself)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace == "faq":
        return ""
    municipality = request.municipality  # type: ignore[attr-defined]
    key = (municipality.slug, get_language() or "")
    html = _WIDGET_HTML.get(key)
    if html is None:
        html = render_to_string(
            "faq/widget.html", {"municipality": municipality, "form": AskForm(auto_id="faq-widget-%s")}, request=None
        )
        if len(_WIDGET_HTML) >= _WIDGET_HTML_MAX:
            _WIDGET_HTML.clear()
        _WIDGET_HTML[key] = html
    return html


def _limited(request: HttpRequest) -> bool:
    from django.conf import settings

    from madoguchi.audit.services import client_ip

    limit, window = settings.RATE_LIMITS["faq_ask"]
    return not hit("faq_ask", client_ip(request) or "unknown", limit=limit, window_seconds=window)


@require_GET
@municipality_view
@module_required
def chat(request: HttpRequest) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    partial = request.GET.get("partial") == "1"
    form = AskForm(request.GET if "q" in request.GET else None)
    answer = None
    status = 200
    if form.is_bound and form.is_valid():
        if _limited(request):
            form.add_error("q", _("短い時間に多くの質問がありました。しばらくしてからもう一度お試しください。"))
            status = 429
        else:
            try:
                answer = services.faq_ask(municipality=municipality, text=form.cleaned_data["q"])
            except ServiceError as error:
                apply_service_error(form, error)
    elif form.is_bound:
        status = 200 if not partial else 422
    context = {"form": form, "answer": answer, "municipality": municipality, "module_key": KEY}
    if partial:
        return render(request, "faq/_answer.html", context, status=status)
    return render(request, "faq/chat.html", context, status=status)


@require_POST
@municipality_view
@module_required
def feedback(request: HttpRequest, question_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return render(request, "faq/_feedback_done.html", {"error": True}, status=400)
    services.question_feedback(municipality=municipality, question_id=question_id, helpful=helpful == "yes")
    if request.headers.get("X-Requested-With") == "fetch":
        return render(request, "faq/_feedback_done.html", {"helpful": helpful == "yes"})
    messages.success(request, _("ご意見ありがとうございました。"))
    back = request.POST.get("next", "")
    if (
        back
        and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
        and back.startswith(f"/{municipality.slug}/")
    ):
        return redirect(back)
    return redirect("faq:chat", municipality_slug=municipality.slug)


@require_GET
@municipality_view
@module_required
def faq_detail(request: HttpRequest, faq_id: str) -> HttpResponse:
    faq = selectors.faq_get_published(request.municipality, faq_id)  # type: ignore[attr-defined]
    return render(request, "faq/detail.html", {"faq": faq})


@require_GET
@municipality_view
@module_required
def faq_list(request: HttpRequest) -> HttpResponse:
    faqs = list(selectors.faq_list_published(request.municipality).order_by("category", "question"))  # type: ignore[attr-defined]
    categories: dict[str, list] = {}
    for faq in faqs:
        categories.setdefault(faq.category or _("その他"), []).append(faq)
    return render(request, "faq/list.html", {"categories": categories})
