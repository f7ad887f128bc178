"""Fees from answers and the municipality's fee table: quantities, conditions, hidden fields, unknown codes."""

from __future__ import annotations

import pytest

from madoguchi.procedures.engine import (
    FeeError,
    FeeTableEntry,
    LocalizedText,
    compute_fee,
    load_example,
    unknown_fee_codes,
)

from .test_engine_definition import build, choice, field, page
from .test_engine_i18n import english  # noqa: F401  (fixture)

JUMINHYO = load_example("juminhyo")
TABLE = {"juminhyo": 300, "koseki_zenbu": 450, "postage": 110}

KOSEKI = build(
    page(
        "p",
        field("zenbu", "number", label="戸籍全部事項証明の通数", min=0, max=10, required=False),
        choice("delivery", ("post", "counter")),
        field(
            "heirs", "repeated_group", label="相続人", fields=[field("who", "short_text")], max_items=10, required=False
        ),
    ),
    fee={
        "items": [
            {"code": "koseki_zenbu", "quantity_field": "zenbu"},
            {
                "code": "postage",
                "condition": {"field": "delivery", "equals": "post"},
                "label": {"ja": "郵送料", "en": "Postage"},
            },
            {"code": "juminhyo", "quantity_field": "heirs"},
        ]
    },
)


def test_unit_price_times_copies():
    quote = compute_fee(JUMINHYO, {"copies": 3}, TABLE)
    assert quote.total == 900
    assert [tuple(line) for line in quote.lines] == [("住民票の写し", 300, 3, 900, "juminhyo")]
    label, unit, quantity, amount, _code = quote.lines[0]
    assert (label, unit, quantity, amount) == ("住民票の写し", 300, 3, 900)


def test_the_fee_follows_the_municipality_table():
    assert compute_fee(JUMINHYO, {"copies": 2}, {"juminhyo": 350}).total == 700


def test_conditional_lines_and_group_quantities():
    quote = compute_fee(KOSEKI, {"zenbu": 2, "delivery": "post", "heirs": [{"who": "a"}, {"who": "b"}]}, TABLE)
    assert [(line.code, line.quantity, line.amount) for line in quote.lines] == [
        ("koseki_zenbu", 2, 900),
        ("postage", 1, 110),
        ("juminhyo", 2, 600),
    ]
    assert quote.total == 1610
    counter = compute_fee(KOSEKI, {"zenbu": 1, "delivery": "counter"}, TABLE)
    assert [line.code for line in counter.lines] == ["koseki_zenbu"] and counter.total == 450


def test_zero_quantity_means_no_line_and_a_free_quote():
    quote = compute_fee(KOSEKI, {"zenbu": 0, "delivery": "counter"}, TABLE)
    assert quote.lines == [] and quote.total == 0 and quote.is_free


def test_hidden_quantity_fields_count_for_nothing():
    definition = build(
        page(
            "p",
            choice("want", ("yes", "no")),
            field("n", "number", min=0, max=5, condition={"field": "want", "equals": "yes"}),
        ),
        fee={"items": [{"code": "juminhyo", "quantity_field": "n"}]},
    )
    assert compute_fee(definition, {"want": "no", "n": 5}, TABLE).total == 0
    assert compute_fee(definition, {"want": "yes", "n": 5}, TABLE).total == 1500


def test_labels_come_from_the_rule_then_the_table_then_the_code():
    table = {
        "koseki_zenbu": FeeTableEntry(450, LocalizedText("戸籍全部事項証明", "Full family register certificate")),
        "postage": 110,
        "juminhyo": 300,
    }
    quote = compute_fee(KOSEKI, {"zenbu": 1, "delivery": "post", "heirs": [{"who": "a"}]}, table)
    assert [line.label for line in quote.lines] == ["戸籍全部事項証明", "郵送料", "juminhyo"]


@pytest.mark.usefixtures("english")
def test_labels_in_english():
    quote = compute_fee(JUMINHYO, {"copies": 1}, TABLE, language="en")
    assert quote.lines[0].label == "Certificate of residence"


def test_unknown_code_at_compute_time_is_an_error_not_a_free_certificate():
    with pytest.raises(FeeError):
        compute_fee(JUMINHYO, {"copies": 1}, {"koseki_zenbu": 450})
    assert unknown_fee_codes(KOSEKI, {"juminhyo": 300}) == ["koseki_zenbu", "postage"]
    assert unknown_fee_codes(JUMINHYO, TABLE) == []


@pytest.mark.parametrize("amount", [-1, "300", 300.5, True, 10**9])
def test_bad_fee_table_amounts_are_refused(amount):
    with pytest.raises(FeeError):
        compute_fee(JUMINHYO, {"copies": 1}, {"juminhyo": amount})


@pytest.mark.parametrize("copies", ["3", 3.0, True, -2, 10**6, [3]])
def test_quantities_that_are_not_counts_are_refused(copies):
    with pytest.raises(FeeError):
        compute_fee(JUMINHYO, {"copies": copies}, TABLE)


def test_no_fee_rules_means_no_fee():
    assert compute_fee(build(page("p", field("x", "short_text"))), {"x": "a"}, {}).total == 0
