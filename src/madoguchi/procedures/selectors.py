"""Reads of the procedure catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from madoguchi.accounts.permissions import department_scope
from madoguchi.core.models import Municipality
from madoguchi.core.search import terms
from madoguchi.core.tenancy import get_object_in_municipality

from .models import (
    Fee,
    FormVersion,
    Procedure,
    ProcedureLifeEvent,
    RequiredAttachment,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)


def _with_catalogue_details(queryset: QuerySet[Procedure]) -> QuerySet[Procedure]:
    return queryset.select_related("department").prefetch_related(
        Prefetch("life_event_links", queryset=ProcedureLifeEvent.objects.order_by("event")),
        Prefetch("fees", queryset=Fee.objects.order_by("code")),
    )


def procedure_search(
    municipality: Municipality, *, query: str = "", category: str = "", life_event: str = ""
) -> QuerySet[Procedure]:
    """Published procedures matching every term of `query` as a partial word (「住民票」 finds
    住民票の写し等交付申請; kana and width are folded), optionally within a category and a life event."""
    queryset = Procedure.objects.filter(municipality=municipality, is_published=True)
    for term in terms(query):
        queryset = queryset.filter(search_text__contains=term)
    if category:
        queryset = queryset.filter(category=category)
    if life_event:
        queryset = queryset.filter(life_event_links__event=life_event)
    return _with_catalogue_details(queryset).order_by("name_kana", "pk")


def procedure_get_published(municipality: Municipality, slug: str) -> Procedure:
    queryset = _with_catalogue_details(Procedure.objects.filter(is_published=True)).prefetch_related(
        Prefetch("attachments", queryset=RequiredAttachment.objects.order_by("position", "pk"))
    )
    return get_object_in_municipality(queryset, municipality, slug=slug)


def procedure_get_published_for_applying(municipality: Municipality, slug: str) -> Procedure:
    """The published procedure alone (with its municipality and 課), for the application paths, which need
    neither the catalogue details nor the attachment list."""
    queryset = Procedure.objects.filter(is_published=True).select_related("municipality", "department")
    return get_object_in_municipality(queryset, municipality, slug=slug)


def procedure_and_live_form_for_applying(municipality: Municipality, slug: str) -> tuple[Procedure, FormVersion | None]:
    """The published procedure (with its 課) and its live form, in one query when it has one (the API's
    application path); 404 as procedure_get_published_for_applying when there is no such procedure."""
    version = (
        FormVersion.objects.filter(
            procedure__municipality=municipality,
            procedure__slug=slug,
            procedure__is_published=True,
            status=FormVersion.Status.LIVE,
        )
        .select_related("procedure__department")
        .first()
    )
    if version is None:
        return procedure_get_published_for_applying(municipality, slug), None
    procedure = version.procedure
    procedure.municipality = municipality  # the very row this request already loaded
    return procedure, version


def procedure_list_for_staff(municipality: Municipality, user: Any) -> QuerySet[Procedure]:
    """Every procedure for admins; department staff see their own 課's."""
    queryset = Procedure.objects.filter(municipality=municipality)
    allowed = department_scope(user, municipality)
    if allowed is not None:
        queryset = queryset.filter(department_id__in=allowed)
    return _with_catalogue_details(queryset).order_by("name_kana", "pk")


def procedure_get_for_staff(municipality: Municipality, user: Any, public_id: str) -> Procedure:
    return get_object_in_municipality(procedure_list_for_staff(municipality, user), municipality, public_id=public_id)


def enabled_preset_keys(municipality: Municipality) -> set[str]:
    return set(
        Procedure.objects.filter(municipality=municipality).exclude(preset_key="").values_list("preset_key", flat=True)
    )


def live_form(procedure: Procedure) -> FormVersion | None:
    return FormVersion.objects.filter(procedure=procedure, status=FormVersion.Status.LIVE).first()


def submission_inbox(
    municipality: Municipality,
    user: Any,
    *,
    procedure: Procedure | None = None,
    status: str = "",
    date_from: Any = None,
    date_to: Any = None,
    assignee: str = "",
    query: str = "",
) -> QuerySet[Submission]:
    """Submitted applications this staff member may see (their 課's, or all for admins), newest first.
    `assignee`: "me", "none" or "". `query` matches the receipt number, or partial words of the answers and
    the applicant's e-mail (submission_search_text)."""
    queryset = Submission.objects.filter(municipality=municipality).exclude(status=SubmissionStatus.DRAFT)
    allowed = department_scope(user, municipality)
    if allowed is not None:
        queryset = queryset.filter(department_id__in=allowed)
    if procedure is not None:
        queryset = queryset.filter(procedure=procedure)
    if status:
        queryset = queryset.filter(status=status)
    if date_from:
        queryset = queryset.filter(submitted_at__date__gte=date_from)
    if date_to:
        queryset = queryset.filter(submitted_at__date__lte=date_to)
    if assignee == "me":
        queryset = queryset.filter(assignee=user)
    elif assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    if query:
        # A receipt number read over the phone matches exactly; anything else is partial words in 氏名,
        # フリガナ, 住所, phone, e-mail and the other answers (every term must match).
        text = query.strip()
        by_words = Q()
        for term in terms(text):
            by_words &= Q(search_text__contains=term)
        queryset = queryset.filter(Q(receipt_number__iexact=text) | (by_words if by_words else Q(pk__in=[])))
    return queryset.select_related("procedure", "applicant", "assignee", "department").order_by("-submitted_at", "-pk")


def submission_get_for_staff(municipality: Municipality, user: Any, public_id: str) -> Submission:
    return get_object_in_municipality(
        submission_inbox(municipality, user).prefetch_related(
            Prefetch("events", queryset=SubmissionEvent.objects.select_related("actor").order_by("occurred_at", "pk"))
        ),
        municipality,
        public_id=public_id,
    )


def submission_assignable_staff(submission: Submission) -> list[Any]:
    """Staff who may be given this application: admins and the staff of its 課."""
    from django_scopes import scopes_disabled

    from madoguchi.accounts.models import Role, StaffMembership

    with scopes_disabled():
        memberships = StaffMembership.objects.filter(municipality=submission.municipality, is_active=True).filter(
            Q(role=Role.MUNICIPALITY_ADMIN) | Q(role=Role.DEPARTMENT_STAFF, department=submission.department)
        )
        users = {membership.user for membership in memberships.select_related("user", "user__profile")}
    return sorted(users, key=lambda user: user.email)


def submissions_of_applicant(municipality: Municipality, user: Any) -> QuerySet[Submission]:
    """A resident's own applications (and unfinished drafts) in this municipality, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Submission.objects.none()
    return (
        Submission.objects.filter(municipality=municipality, applicant=user)
        .select_related("procedure")
        .order_by("-created_at", "-pk")
    )


def submission_of_applicant(municipality: Municipality, user: Any, public_id: str) -> Submission:
    return get_object_in_municipality(
        submissions_of_applicant(municipality, user).prefetch_related(
            Prefetch(
                "events",
                queryset=SubmissionEvent.objects.filter(internal=False).order_by("occurred_at", "pk"),
            )
        ),
        municipality,
        public_id=public_id,
    )


def form_draft(procedure: Procedure) -> FormVersion | None:
    return FormVersion.objects.filter(procedure=procedure, status=FormVersion.Status.DRAFT).first()


def form_versions(procedure: Procedure) -> QuerySet[FormVersion]:
    """Every version of the procedure's form, newest first, with how many applications each carries."""
    from django.db.models import Count

    return (
        FormVersion.objects.filter(procedure=procedure)
        .select_related("created_by")
        .annotate(submission_count=Count("submissions"))
        .order_by("-number")
    )


def form_version_get(procedure: Procedure, number: int) -> FormVersion:
    from django.http import Http404

    version = FormVersion.objects.filter(procedure=procedure, number=number).first()
    if version is None:
        raise Http404
    return version
