"""Conditions: every operator, hidden pages and fields, and routes through the pages."""

from __future__ import annotations

import pytest

from madoguchi.procedures.engine import (
    evaluate,
    is_answered,
    is_page_visible,
    load_example,
    next_page_id,
    previous_page_id,
    strip_hidden,
    visible_fields,
    visible_pages,
)

from .test_engine_definition import build, choice, field, page, text


@pytest.fixture(scope="module")
def survey():
    return build(
        page(
            "first",
            choice("colour", ("red", "blue", "green")),
            choice("pets", ("dog", "cat", "fish"), kind="multiple_choice", required=False),
            field("age", "number", min=0, max=150, required=False),
            text("nickname", required=False),
            field("agree", "consent", declaration="同意します"),
        ),
        page("target", text("t"), condition={"field": "colour", "equals": "red"}),
    )


def condition(survey, **raw):
    """A condition as validate_definition reads it (attached to the page after `first`)."""
    from madoguchi.procedures.engine import validate_definition

    data = survey.to_dict()
    data["pages"][1]["condition"] = raw
    return validate_definition(data).page("target").condition


@pytest.mark.parametrize(
    ("raw", "answers", "expected"),
    [
        ({"field": "colour", "equals": "red"}, {"colour": "red"}, True),
        ({"field": "colour", "equals": "red"}, {"colour": "blue"}, False),
        ({"field": "colour", "equals": "red"}, {}, False),
        ({"field": "colour", "not_equals": "red"}, {"colour": "blue"}, True),
        ({"field": "colour", "not_equals": "red"}, {"colour": "red"}, False),
        ({"field": "colour", "not_equals": "red"}, {}, True),
        ({"field": "colour", "in": ["red", "green"]}, {"colour": "green"}, True),
        ({"field": "colour", "in": ["red", "green"]}, {"colour": "blue"}, False),
        ({"field": "pets", "equals": "cat"}, {"pets": ["dog", "cat"]}, True),
        ({"field": "pets", "equals": "cat"}, {"pets": ["dog"]}, False),
        ({"field": "pets", "in": ["fish", "cat"]}, {"pets": ["cat"]}, True),
        ({"field": "pets", "not_equals": "cat"}, {"pets": ["dog", "cat"]}, False),
        ({"field": "age", "equals": 20}, {"age": 20}, True),
        ({"field": "age", "equals": 20}, {"age": 20.0}, True),
        ({"field": "age", "equals": 20}, {"age": "20"}, True),
        ({"field": "age", "equals": 0}, {"age": 0}, True),
        ({"field": "age", "in": [1, 2]}, {"age": 3}, False),
        ({"field": "nickname", "equals": "たろう"}, {"nickname": "たろう"}, True),
        ({"field": "agree", "equals": True}, {"agree": True}, True),
        ({"field": "agree", "equals": True}, {"agree": False}, False),
        ({"field": "nickname", "is_answered": True}, {"nickname": "x"}, True),
        ({"field": "nickname", "is_answered": True}, {"nickname": "  "}, False),
        ({"field": "nickname", "is_answered": False}, {}, True),
        ({"field": "age", "is_answered": True}, {"age": 0}, True),
        (
            {"all": [{"field": "colour", "equals": "red"}, {"field": "age", "equals": 3}]},
            {"colour": "red", "age": 3},
            True,
        ),
        (
            {"all": [{"field": "colour", "equals": "red"}, {"field": "age", "equals": 3}]},
            {"colour": "red", "age": 4},
            False,
        ),
        (
            {"any": [{"field": "colour", "equals": "red"}, {"field": "age", "equals": 3}]},
            {"colour": "blue", "age": 3},
            True,
        ),
        ({"any": [{"field": "colour", "equals": "red"}, {"field": "age", "equals": 3}]}, {"colour": "blue"}, False),
        ({"not": {"field": "colour", "equals": "red"}}, {"colour": "red"}, False),
        ({"not": {"field": "colour", "equals": "red"}}, {"colour": "blue"}, True),
        (
            {"any": [{"not": {"field": "pets", "is_answered": True}}, {"all": [{"field": "pets", "equals": "fish"}]}]},
            {"pets": ["fish"]},
            True,
        ),
    ],
)
def test_operators(survey, raw, answers, expected):
    assert evaluate(condition(survey, **raw), answers) is expected


def test_no_condition_is_always_true():
    assert evaluate(None, {}) is True


def test_wrong_types_in_answers_never_match(survey):
    cond = condition(survey, field="age", equals=3)
    assert evaluate(cond, {"age": {"x": 1}}) is False
    assert evaluate(cond, {"age": True}) is False
    assert evaluate(cond, {"age": "abc"}) is False


@pytest.mark.parametrize(
    ("value", "answered"),
    [(None, False), ("", False), ("  ", False), ([], False), ({}, False), (False, False), (0, True), ("a", True),
     ({"postal_code": "", "city": ""}, False), ({"city": "南砺市"}, True), (["x"], True), (True, True)],
)  # fmt: skip
def test_is_answered(value, answered):
    assert is_answered(value) is answered


def test_page_condition_hides_page_and_its_answers():
    definition = load_example("juminhyo")
    answers = {"relationship": "self", "subject_name": {"family_name": "他人"}, "scope": "individual"}
    assert [p.id for p in visible_pages(definition, answers)] == [
        "applicant", "whose", "certificate", "delivery", "declaration",
    ]  # fmt: skip
    assert "subject_name" not in strip_hidden(definition, answers)
    assert strip_hidden(definition, answers)["scope"] == "individual"
    assert not is_page_visible(definition, "subject", answers)
    assert is_page_visible(definition, "subject", {"relationship": "household"})


def test_field_condition_hides_field_on_a_later_page():
    definition = load_example("juminhyo")
    subject = definition.page("subject")
    household = [f.id for f in visible_fields(subject, {"relationship": "household"})]
    agent = [f.id for f in visible_fields(subject, {"relationship": "agent"})]
    assert household == ["subject_name", "subject_birth_date"]
    assert agent == ["subject_name", "subject_birth_date", "subject_address", "power_of_attorney"]
    file_meta = {"name": "a.pdf", "size": 10, "content_type": "application/pdf"}
    assert "power_of_attorney" not in strip_hidden(
        definition, {"relationship": "household", "power_of_attorney": file_meta}
    )
    assert "power_of_attorney" in strip_hidden(definition, {"relationship": "agent", "power_of_attorney": file_meta})


def test_hiding_cascades_through_hidden_fields():
    definition = build(
        page("one", choice("a", ("yes", "no"))),
        page("two", choice("b", ("yes", "no")), condition={"field": "a", "equals": "yes"}),
        page("three", text("c"), condition={"field": "b", "equals": "yes"}),
        page("four", text("d", condition={"field": "b", "is_answered": False})),
    )
    # b was answered earlier, but page two is now hidden: b no longer counts, so page three hides too.
    answers = {"a": "no", "b": "yes", "c": "x", "d": "y"}
    assert [p.id for p in visible_pages(definition, answers)] == ["one", "four"]
    assert strip_hidden(definition, answers) == {"a": "no", "d": "y"}
    answers["a"] = "yes"
    assert [p.id for p in visible_pages(definition, answers)] == ["one", "two", "three", "four"]
    assert strip_hidden(definition, answers) == {"a": "yes", "b": "yes", "c": "x"}


def test_hidden_field_on_the_same_page_counts_as_unanswered_for_the_next():
    definition = build(
        page(
            "p",
            choice("a", ("yes", "no")),
            text("b", condition={"field": "a", "equals": "yes"}),
            text("c", condition={"field": "b", "is_answered": True}),
        )
    )
    shown = visible_fields(definition.page("p"), {"a": "no", "b": "typed before", "c": "x"})
    assert [f.id for f in shown] == ["a"]


def test_strip_hidden_drops_unknown_keys():
    definition = build(page("p", text("a")))
    assert strip_hidden(definition, {"a": "x", "evil": "y"}) == {"a": "x"}


def test_routes_skip_hidden_pages():
    definition = load_example("juminhyo")
    answers = {"relationship": "self"}
    assert next_page_id(definition, answers, None) == "applicant"
    assert next_page_id(definition, answers, "whose") == "certificate"
    assert next_page_id(definition, {"relationship": "agent"}, "whose") == "subject"
    assert next_page_id(definition, answers, "declaration") is None
    assert previous_page_id(definition, answers, "certificate") == "whose"
    assert previous_page_id(definition, {"relationship": "household"}, "certificate") == "subject"
    assert previous_page_id(definition, answers, "applicant") is None
