"""Reads of accounts data for staff screens. Every read is limited to one municipality."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from madoguchi.core.models import Municipality
from madoguchi.core.validators import to_halfwidth

from .models import Profile, StaffMembership


def staff_membership_list(municipality: Municipality) -> QuerySet[StaffMembership]:
    return (
        StaffMembership.objects.filter(municipality=municipality)
        .select_related("user", "user__profile", "user__totp_device", "department")
        .order_by("-is_active", "user__email", "role")
    )


def staff_membership_get(municipality: Municipality, public_id: str) -> StaffMembership:
    from madoguchi.core.tenancy import get_object_in_municipality

    return get_object_in_municipality(
        StaffMembership.objects.select_related("user", "department"), municipality, public_id=public_id
    )


def resident_search(municipality: Municipality, query: str) -> QuerySet[Profile]:
    """Residents whose registered address is in this municipality, matching name, kana, phone or e-mail."""
    queryset = Profile.objects.filter(home_municipality=municipality).select_related("user")
    if query:
        text = to_halfwidth(query)
        digits = "".join(ch for ch in text if ch.isdigit())
        condition = (
            Q(family_name__icontains=query)
            | Q(given_name__icontains=query)
            | Q(family_name_kana__icontains=query)
            | Q(given_name_kana__icontains=query)
            | Q(user__email__icontains=text)
        )
        if len(digits) >= 4:
            condition |= Q(phone__contains=digits)
        queryset = queryset.filter(condition)
    return queryset.order_by("family_name_kana", "given_name_kana", "pk")


def resident_get(municipality: Municipality, user_public_id: str) -> Profile:
    try:
        profile = (
            Profile.objects.select_related("user")
            .filter(home_municipality=municipality, user__public_id=user_public_id)
            .first()
        )
    except (ValueError, ValidationError) as exc:  # a malformed UUID is simply not found
        raise Http404 from exc
    if profile is None:
        raise Http404
    return profile
