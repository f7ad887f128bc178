"""The resident's application pages (GOV.UK style: one question group per page, check your answers, submit).

Works without JavaScript. Drafts of signed-in residents are theirs; a draft of a procedure that needs no
sign-in belongs to the browser session that started it. Anyone else gets 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from madoguchi.core.errors import ServiceError, apply_service_error
from madoguchi.core.ratelimit import rate_limit
from madoguchi.core.tenancy import municipality_view

from . import files, journey, selectors
from .engine.conditions import next_page_id, previous_page_id, visible_pages
from .engine.definition import UnknownPageError
from .engine.fees import compute_fee
from .engine.forms import page_form
from .engine.summary import summarise
from .manifest import module_required
from .models import IdentityLevel, Procedure, Submission, SubmissionStatus
from .uploads import show_upload_errors, take_page_uploads

SESSION_DRAFTS = "madoguchi_procedure_drafts"


def _identity_problem(request: HttpRequest, procedure: Procedure) -> str | None:
    """None when this person may apply; else what is missing ("login" or "my_number_card")."""
    if procedure.identity_level == IdentityLevel.NONE:
        return None
    if not request.user.is_authenticated:
        return "login"
    if procedure.identity_level == IdentityLevel.MY_NUMBER_CARD:
        from madoguchi.identity.selectors import session_identity_assurance

        assurance = session_identity_assurance(request) or {}
        if assurance.get("level") != "my_number_card":
            return "my_number_card"
    return None


def _draft_for(request: HttpRequest, procedure: Procedure, draft_id: str) -> Submission:
    try:
        draft = (
            Submission.objects.select_related("form_version", "procedure")
            .filter(procedure=procedure, public_id=draft_id)
            .first()
        )
    except (ValueError, ValidationError) as exc:  # a malformed id is simply unknown
        raise Http404 from exc
    if draft is None:
        raise Http404
    if draft.applicant_id is not None:
        if not request.user.is_authenticated or draft.applicant_id != request.user.pk:
            raise Http404
    elif str(draft.public_id) not in request.session.get(SESSION_DRAFTS, []):
        raise Http404
    return draft


def _urls(procedure: Procedure, draft: Submission) -> dict[str, str]:
    args = {
        "municipality_slug": procedure.municipality.slug,
        "procedure_slug": procedure.slug,
        "draft_id": draft.public_id,
    }
    return {
        "check": reverse("procedures:apply_check", kwargs=args),
        "done": reverse("procedures:apply_done", kwargs=args),
    }


def _page_url(procedure: Procedure, draft: Submission, page_id: str) -> str:
    return reverse(
        "procedures:apply_page",
        kwargs={
            "municipality_slug": procedure.municipality.slug,
            "procedure_slug": procedure.slug,
            "draft_id": draft.public_id,
            "page_id": page_id,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@municipality_view
@module_required
@rate_limit("application")
def apply_start(request: HttpRequest, procedure_slug: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    procedure = selectors.procedure_get_published(municipality, procedure_slug)
    version = selectors.live_form(procedure)
    if version is None or procedure.channel == "counter":
        raise Http404
    problem = _identity_problem(request, procedure)
    if request.method == "POST" and problem is None:
        try:
            draft = journey.draft_start(procedure=procedure, applicant=request.user, request=request)
        except ServiceError as exc:
            raise Http404 from exc
        if draft.applicant_id is None:
            request.session[SESSION_DRAFTS] = [*request.session.get(SESSION_DRAFTS, [])[-9:], str(draft.public_id)]
        definition = journey.definition_of(draft)
        first = next_page_id(definition, draft.answers, None)
        return redirect(_page_url(procedure, draft, first) if first else _urls(procedure, draft)["check"])
    from madoguchi.identity.selectors import providers_for_login

    login_url = f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
    return render(
        request,
        "procedures/apply_start.html",
        {
            "procedure": procedure,
            "problem": problem,
            "login_url": login_url,
            "providers": providers_for_login(request, municipality) if problem else [],
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@municipality_view
@module_required
def apply_page(request: HttpRequest, procedure_slug: str, draft_id: str, page_id: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    procedure = selectors.procedure_get_published(municipality, procedure_slug)
    draft = _draft_for(request, procedure, draft_id)
    if draft.status != SubmissionStatus.DRAFT:
        return redirect(_urls(procedure, draft)["done"])
    definition = journey.definition_of(draft)
    if page_id not in {page.id for page in visible_pages(definition, draft.answers)}:
        raise Http404
    try:
        form = page_form(
            definition,
            page_id,
            data=request.POST if request.method == "POST" else None,
            files=request.FILES if request.method == "POST" else None,
            initial=draft.answers,
            language=get_language(),
        )
    except UnknownPageError as exc:
        raise Http404 from exc
    # Posted files are checked first and stand in the form as their checked metadata (sniffed type, size).
    uploads, upload_errors = take_page_uploads(form, request) if request.method == "POST" else ([], {})
    if request.method == "POST" and form.is_valid() and not upload_errors:
        answers = form.merge_into(draft.answers)
        try:
            draft = files.draft_save_with_files(
                draft=draft, answers=answers, uploads=uploads, actor=request.user, request=request
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            following = next_page_id(definition, answers, page_id)
            if following is None or request.POST.get("return_to") == "check":
                return redirect(_urls(procedure, draft)["check"])
            return redirect(_page_url(procedure, draft, following))
    show_upload_errors(form, upload_errors)
    back = previous_page_id(definition, draft.answers, page_id)
    return render(
        request,
        "procedures/apply_page.html",
        {
            "procedure": procedure,
            "draft": draft,
            "form": form,
            "page": definition.page(page_id),
            "page_title": definition.page(page_id).title.get(get_language() or "ja"),
            "back_url": _page_url(procedure, draft, back) if back else None,
            "return_to": request.GET.get("return_to") or request.POST.get("return_to", ""),
        },
        status=400 if request.method == "POST" and form.action is None else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@municipality_view
@module_required
@rate_limit("application")
def apply_check(request: HttpRequest, procedure_slug: str, draft_id: str) -> HttpResponse:
    from madoguchi.payments.forms import PaymentMethodForm
    from madoguchi.payments.selectors import payment_live_for_object, payment_methods_for

    municipality = request.municipality  # type: ignore[attr-defined]
    procedure = selectors.procedure_get_published(municipality, procedure_slug)
    draft = _draft_for(request, procedure, draft_id)
    if draft.status != SubmissionStatus.DRAFT:
        return redirect(_urls(procedure, draft)["done"])
    definition = journey.definition_of(draft)
    quote = compute_fee(definition, draft.answers, journey.fee_table(procedure), language=get_language())
    methods = payment_methods_for(municipality) if quote.total else []
    live = payment_live_for_object(municipality, journey.PAYMENT_PURPOSE, str(draft.public_id)) if quote.total else None
    # One method: nothing to choose (the page says how the fee is paid); several: the resident picks one.
    method_form = PaymentMethodForm(
        request.POST if request.method == "POST" and len(methods) > 1 and not (live and live.money_received) else None,
        methods=methods,
        initial={"method": live.method if live is not None else None},
    )
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        method = methods[0].method if len(methods) == 1 else None
        if live is not None and live.money_received:
            method = live.method  # paid already (its submission had failed): just submit
        elif len(methods) > 1 and method_form.is_valid():
            method = method_form.cleaned_data["method"]
        if method is not None or not quote.total:
            try:
                submitted, payment = journey.draft_pay(draft=draft, method=method or "", request=request)
            except journey.IncompleteAnswers as incomplete:
                errors = incomplete.errors
            except ServiceError as error:
                method_form.add_error("method" if len(methods) > 1 else None, str(error.message))
            else:
                if submitted.status == SubmissionStatus.DRAFT and payment is not None and payment.redirect_url:
                    if payment.redirect_url.startswith("/"):
                        return redirect(payment.redirect_url)
                    # Another origin: a link, not a redirect after POST, which CSP form-action 'self' blocks.
                    return render(request, "payments/continue.html", {"payment": payment, "procedure": procedure})
                return redirect(_urls(procedure, submitted)["done"])
    sections = summarise(definition, draft.answers, language=get_language())
    incomplete_pages = sorted(
        {
            section.page_id
            for section in sections
            for row in section.rows
            if any(key.startswith(row.field_id) for key in errors)
        }
    )
    return render(
        request,
        "procedures/apply_check.html",
        {
            "procedure": procedure,
            "draft": draft,
            "sections": [
                {"section": section, "change_url": f"{_page_url(procedure, draft, section.page_id)}?return_to=check"}
                for section in sections
            ],
            "quote": quote,
            "errors": errors,
            "incomplete_pages": incomplete_pages,
            "methods": methods,
            "method_form": method_form,
            "live_payment": live,
        },
        status=400 if errors or method_form.errors else 200,
    )


@never_cache
@require_http_methods(["GET"])
@municipality_view
@module_required
def apply_done(request: HttpRequest, procedure_slug: str, draft_id: str) -> HttpResponse:
    from madoguchi.payments.selectors import payment_live_for_object

    municipality = request.municipality  # type: ignore[attr-defined]
    procedure = selectors.procedure_get_published(municipality, procedure_slug)
    submission = _draft_for(request, procedure, draft_id)
    if submission.status == SubmissionStatus.DRAFT:
        return redirect(_urls(procedure, submission)["check"])
    payment = payment_live_for_object(municipality, journey.PAYMENT_PURPOSE, str(submission.public_id))
    return render(
        request,
        "procedures/apply_done.html",
        {"procedure": procedure, "submission": submission, "payment": payment},
    )
