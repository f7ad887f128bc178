"""Whole-submission validation: every visible field of every visible page, checked on the server.

The API and the final submit both come through here, so nothing can skip a page's checks: each visible page
is rebuilt as its PageForm from the stored answers and cleaned by the very fields the resident's browser
posted to. Answers of hidden fields are dropped (strip_hidden), answers for ids the definition does not have
are refused, and values of the wrong JSON type are refused before any field sees them.

Error keys are the page form's field names (`applicant_name__family_name_kana`, `children__1__birth_date`),
a group's id for errors about the group as a whole, an unknown answer's own key, or "__all__".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from .conditions import effective_answers, evaluate
from .definition import ADDRESS_PARTS, NAME_PARTS, FieldDef, FormDefinition, active_language
from .forms import ITEMS_SUFFIX, SEPARATOR, PageForm

MAX_ANSWER_KEYS = 1000
MAX_REPORTED_UNKNOWN = 20

MSG_NOT_OBJECT = _("回答はオブジェクト（{…}）で送ってください。")
MSG_TOO_MANY = _("回答の項目が多すぎます。")
MSG_UNKNOWN = _("この申請書にない項目です。")
MSG_STRING = _("文字列で指定してください。")
MSG_NUMBER = _("数値で指定してください。")
MSG_BOOLEAN = _("true か false で指定してください。")
MSG_LIST = _("配列（[…]）で指定してください。")
MSG_OBJECT = _("オブジェクト（{…}）で指定してください。")
MSG_PARTS = _("使用できないキーが含まれています。")
MSG_GROUP_MAX = _("%(label)sは%(max)s件まで入力できます。")


@dataclass(frozen=True)
class CleanedAnswers:
    answers: dict[str, Any]  # normalised, hidden fields removed; meaningful only when errors is empty
    errors: dict[str, list[str]]

    @property
    def is_valid(self) -> bool:
        return not self.errors


class _TypeError(Exception):
    def __init__(self, key: str, message: Any):
        super().__init__(key)
        self.key = key
        self.message = str(message)


def strip_hidden(definition: FormDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the answers of visible fields on visible pages (unknown keys dropped too)."""
    return effective_answers(definition, answers)


def _scalar(name: str, value: Any, out: MultiValueDict) -> None:
    if not isinstance(value, str):
        raise _TypeError(name, MSG_STRING)
    out.setlist(name, [value])


def _to_data(member: FieldDef, name: str, value: Any, data: MultiValueDict, files: MultiValueDict) -> None:
    """A stored answer → what the browser would have posted for it."""
    if value is None:
        return
    kind = member.type
    if kind in ("short_text", "long_text", "date", "single_choice", "phone", "email"):
        _scalar(name, value, data)
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _TypeError(name, MSG_NUMBER)
        data.setlist(
            name, [value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)]
        )
    elif kind == "multiple_choice":
        if not isinstance(value, list):
            raise _TypeError(name, MSG_LIST)
        if any(not isinstance(item, str) for item in value):
            raise _TypeError(name, MSG_STRING)
        data.setlist(name, list(value))
    elif kind == "consent":
        if not isinstance(value, bool):
            raise _TypeError(name, MSG_BOOLEAN)
        if value:
            data.setlist(name, ["on"])
    elif kind == "file":
        if not isinstance(value, dict):
            raise _TypeError(name, MSG_OBJECT)
        files.setlist(name, [value])
    elif kind in ("name", "address"):
        if not isinstance(value, dict):
            raise _TypeError(name, MSG_OBJECT)
        allowed = NAME_PARTS if kind == "name" else ADDRESS_PARTS
        if any(part not in allowed for part in value):
            raise _TypeError(name, MSG_PARTS)
        for part, part_value in value.items():
            if part_value is not None:
                _scalar(f"{name}{SEPARATOR}{part}", part_value, data)
    elif kind == "repeated_group":
        if not isinstance(value, list):
            raise _TypeError(name, MSG_LIST)
        if len(value) > member.max_items:
            raise _TypeError(name, MSG_GROUP_MAX % {"label": member.label.get(), "max": member.max_items})
        data.setlist(f"{name}{SEPARATOR}{ITEMS_SUFFIX}", [str(len(value))])
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise _TypeError(f"{name}{SEPARATOR}{index}", MSG_OBJECT)
            for key, sub_value in item.items():
                sub = member.member(key) if isinstance(key, str) else None
                if sub is None:
                    raise _TypeError(f"{name}{SEPARATOR}{index}", MSG_PARTS)
                _to_data(sub, f"{name}{SEPARATOR}{index}{SEPARATOR}{key}", sub_value, data, files)


def clean_answers(definition: FormDefinition, answers: Any, *, language: str | None = None) -> CleanedAnswers:
    """Validate a whole submission and return its normalised answers (hidden fields removed) and errors."""
    lang = active_language(language)
    with translation.override(lang):
        if not isinstance(answers, dict):
            return CleanedAnswers({}, {"__all__": [str(MSG_NOT_OBJECT)]})
        if len(answers) > MAX_ANSWER_KEYS:
            return CleanedAnswers({}, {"__all__": [str(MSG_TOO_MANY)]})
        errors: dict[str, list[str]] = {}
        unknown = [key for key in answers if not isinstance(key, str) or definition.field(key) is None]
        for key in unknown[:MAX_REPORTED_UNKNOWN]:
            errors[str(key)[:80]] = [str(MSG_UNKNOWN)]
        cleaned: dict[str, Any] = {}
        for page in definition.pages:
            if not evaluate(page.condition, cleaned):
                continue
            data: MultiValueDict[str, Any] = MultiValueDict()
            files: MultiValueDict[str, Any] = MultiValueDict()
            mistyped: set[str] = set()
            for member in page.fields:
                try:
                    _to_data(member, member.id, answers.get(member.id), data, files)
                except _TypeError as problem:
                    # Only a visible field's wrong type matters; a hidden one is dropped anyway.
                    if evaluate(member.condition, {**cleaned, **_loose(answers, page)}):
                        errors.setdefault(problem.key, []).append(problem.message)
                        mistyped.add(member.id)
            form = PageForm(definition, page, data=data, files=files, answers=cleaned, language=lang)
            if form.is_valid():
                cleaned.update(form.answers())
                continue
            for name, error_list in form.errors.items():
                # "__all__" holds group errors, reported below under the group's id; a field whose value had
                # the wrong type is explained by that error alone.
                if name != "__all__" and name.split(SEPARATOR)[0] not in mistyped:
                    errors[name] = [str(message) for message in error_list]
            for group_id, group_messages in form.group_errors.items():
                if group_id not in mistyped:
                    errors.setdefault(group_id, []).extend(group_messages)
            # Keep what did validate so later pages' conditions see it.
            cleaned.update({key: value for key, value in _partial_answers(form).items() if key not in cleaned})
        if errors:
            return CleanedAnswers({}, errors)
        return CleanedAnswers(strip_hidden(definition, cleaned), {})


def _loose(answers: Mapping[str, Any], page: Any) -> dict[str, Any]:
    return {member.id: answers.get(member.id) for member in page.fields if member.id in answers}


def _partial_answers(form: PageForm) -> dict[str, Any]:
    """A page that failed still decides later conditions with its fields that were fine."""
    result: dict[str, Any] = {}
    for member in form.members:
        if member.type in ("short_text", "long_text", "single_choice", "multiple_choice", "consent"):
            value = form.cleaned_data.get(member.id)
            if member.id not in form.errors and value not in (None, "", [], False):
                result[member.id] = list(value) if isinstance(value, list) else value
    return result


def validate_answers(definition: FormDefinition, answers: Any, *, language: str | None = None) -> dict[str, list[str]]:
    """Errors of a whole submission, re-checking every visible field server-side ({} when valid)."""
    return clean_answers(definition, answers, language=language).errors
