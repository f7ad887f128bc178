"""Which pages and fields a resident sees, given the answers so far (routes, in GOV.UK Forms' words).

A condition only looks at fields before it (validate_definition makes sure), so visibility is decided in one
pass in page order. A field that is hidden counts as not answered for every later condition: hiding a page
hides whatever depended on it, and its answers are discarded at submit (see strip_hidden).

Operators: {"field": id, "equals": v}, "not_equals", "in": [..], "is_answered": true|false, and the branches
"all": [..], "any": [..], "not": {..}. For a multiple choice, equals/in are true when any selected value
matches. An unanswered field equals nothing (so not_equals is true).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .definition import Condition, FieldDef, FormDefinition, Page


def is_answered(value: Any) -> bool:
    """None, "", [], False and a dict of empty parts (an untouched address) are not answers."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return any(is_answered(item) for item in value)
    if isinstance(value, dict):
        return any(is_answered(item) for item in value.values())
    return True


def _same(answer: Any, expected: Any) -> bool:
    if isinstance(answer, bool) or isinstance(expected, bool):
        return answer is expected
    if isinstance(expected, int | float | Decimal):
        try:
            return Decimal(str(answer)) == Decimal(str(expected))
        except (InvalidOperation, ValueError):
            return False
    return bool(answer == expected)


def _matches(answer: Any, expected: Any) -> bool:
    if not is_answered(answer):
        return False
    if isinstance(answer, list):  # multiple choice: any selected value
        return any(_same(item, expected) for item in answer)
    return _same(answer, expected)


def evaluate(condition: Condition | None, answers: Mapping[str, Any]) -> bool:
    """True when there is no condition or it holds for these answers."""
    if condition is None:
        return True
    operator = condition.operator
    if operator == "all":
        return all(evaluate(child, answers) for child in condition.children)
    if operator == "any":
        return any(evaluate(child, answers) for child in condition.children)
    if operator == "not":
        return not evaluate(condition.children[0], answers)
    answer = answers.get(condition.field)
    if operator == "is_answered":
        return is_answered(answer) is bool(condition.value)
    if operator == "equals":
        return _matches(answer, condition.value)
    if operator == "not_equals":
        return not _matches(answer, condition.value)
    if operator == "in":
        return any(_matches(answer, value) for value in condition.value)
    return False


def visible_fields(page: Page, answers: Mapping[str, Any]) -> list[FieldDef]:
    """The page's fields shown for these answers (which should already exclude hidden pages' answers).

    A field hidden on this page counts as unanswered for the fields after it.
    """
    effective = dict(answers)
    shown: list[FieldDef] = []
    for member in page.fields:
        if evaluate(member.condition, effective):
            shown.append(member)
        else:
            effective.pop(member.id, None)
    return shown


def walk(definition: FormDefinition, answers: Mapping[str, Any]) -> list[tuple[Page, list[FieldDef]]]:
    """Every visible page with its visible fields, evaluating in page order on the answers that count."""
    effective: dict[str, Any] = {}
    result: list[tuple[Page, list[FieldDef]]] = []
    for page in definition.pages:
        if not evaluate(page.condition, effective):
            continue
        shown: list[FieldDef] = []
        for member in page.fields:
            if evaluate(member.condition, effective):
                shown.append(member)
                if member.id in answers:
                    effective[member.id] = answers[member.id]
        result.append((page, shown))
    return result


def visible_pages(definition: FormDefinition, answers: Mapping[str, Any]) -> list[Page]:
    return [page for page, _fields in walk(definition, answers)]


def is_page_visible(definition: FormDefinition, page_id: str, answers: Mapping[str, Any]) -> bool:
    return any(page.id == page_id for page in visible_pages(definition, answers))


def effective_answers(definition: FormDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that count: only visible fields of visible pages, in definition order."""
    result: dict[str, Any] = {}
    for _page, shown in walk(definition, answers):
        for member in shown:
            if member.id in answers:
                result[member.id] = answers[member.id]
    return result


def next_page_id(definition: FormDefinition, answers: Mapping[str, Any], current: str | None) -> str | None:
    """The first visible page after `current` (the first page when None); None when the pages are done."""
    pages = visible_pages(definition, answers)
    if current is None:
        return pages[0].id if pages else None
    order = [page.id for page in definition.pages]
    position = order.index(current) if current in order else -1
    for page in pages:
        if order.index(page.id) > position:
            return page.id
    return None


def previous_page_id(definition: FormDefinition, answers: Mapping[str, Any], current: str) -> str | None:
    """The visible page before `current` (for a back link); None on the first page."""
    order = [page.id for page in definition.pages]
    position = order.index(current) if current in order else len(order)
    earlier = [page.id for page in visible_pages(definition, answers) if order.index(page.id) < position]
    return earlier[-1] if earlier else None
