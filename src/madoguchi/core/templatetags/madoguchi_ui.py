"""Template helpers available in every template: dates in 和暦/西暦, formatted codes, URL helpers."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from madoguchi.core.dates import to_wareki
from madoguchi.core.validators import format_postal_code

register = template.Library()


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    return None


@register.filter
def wareki(value: Any) -> str:
    """令和8年4月1日 (in English: 1 April 2026, since 和暦 means little to most English readers)."""
    day = _as_date(value)
    if day is None:
        return ""
    if (get_language() or "ja").startswith("en"):
        return f"{day.day} {day:%B} {day.year}"
    return to_wareki(day)


@register.filter
def date_both(value: Any) -> str:
    """令和8年4月1日（2026-04-01）: what residents expect on forms and letters."""
    day = _as_date(value)
    if day is None:
        return ""
    return f"{wareki(day)}（{day.isoformat()}）" if not (get_language() or "ja").startswith("en") else wareki(day)


@register.filter
def datetime_local(value: Any) -> str:
    if not isinstance(value, datetime.datetime):
        return ""
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M}"


@register.filter
def join_list(values: Any) -> str:
    """Join labels with the list separator of the active language (「、」 in Japanese, ", " in English)."""
    return _("、").join(str(value) for value in values)


@register.filter
def postal_code(value: str) -> str:
    return format_postal_code(value)


@register.filter
def phone(value: str) -> str:
    """Group a stored digit string for reading (0763-23-2000 style is area-specific; keep a safe split)."""
    if not value:
        return ""
    if len(value) == 11:
        return f"{value[:3]}-{value[3:7]}-{value[7:]}"
    if len(value) == 10:
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


@register.simple_tag(takes_context=True)
def url_with_lang(context: dict[str, Any], language: str) -> str:
    request = context.get("request")
    path = request.path if request is not None else "/"
    return f"{path}?lang={language}"


@register.inclusion_tag("components/field.html")
def field(bound_field: Any, **options: Any) -> dict[str, Any]:
    """One labelled form field with hint, error message and ARIA links (the DADS input pattern).

    The ARIA attributes are set here, at render time, when the form has been validated: the control points
    at its hint and error message (aria-describedby) and says when it is invalid or required.
    """
    attrs = bound_field.field.widget.attrs
    describedby = []
    if bound_field.help_text:
        describedby.append(f"{bound_field.auto_id}_hint")
    if bound_field.form.is_bound and bound_field.errors:
        describedby.append(f"{bound_field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    else:
        attrs.pop("aria-invalid", None)
    if describedby and bound_field.widget_type not in ("radioselect", "checkboxselectmultiple"):
        attrs["aria-describedby"] = " ".join(describedby)
    if bound_field.field.required and bound_field.widget_type not in ("radioselect", "checkboxselectmultiple"):
        attrs.setdefault("aria-required", "true")
    return {"field": bound_field, "options": options}


@register.inclusion_tag("components/error_summary.html")
def error_summary(*forms: Any) -> dict[str, Any]:
    """The error summary at the top of a page, each message linking to its field."""
    items: list[dict[str, str]] = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        for message in form.non_field_errors():
            items.append({"href": "", "message": message})
        for bound in form:
            # A radio or checkbox group has no single label target: link to its first option.
            target = bound.id_for_label or f"{bound.auto_id}_0"
            for message in bound.errors:
                items.append(
                    {
                        "href": f"#{target}",
                        "message": _("%(label)s：%(message)s") % {"label": bound.label, "message": message},
                    }
                )
    return {"items": items}
