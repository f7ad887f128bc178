"""Prefill (書かない): profile and identity claims fill fields, and what the resident typed always wins."""

from __future__ import annotations

import datetime

from madoguchi.procedures.engine import load_example, page_form, prefill, prefill_with_sources, validate_answers

from .test_engine_definition import build, field, page

JUMINHYO = load_example("juminhyo")

PROFILE = {
    "family_name": "南砺",
    "given_name": "花子",
    "family_name_kana": "ナント",
    "given_name_kana": "ハナコ",
    "birth_date": datetime.date(1980, 4, 1),
    "postal_code": "9391692",
    "prefecture": "富山県",
    "city": "南砺市",
    "town": "荒木",
    "street": "1550",
    "building": "",
    "phone": "0763232000",
    "email": "hanako@example.jp",
}
CLAIMS = {
    "name": "南砺 花子",
    "address": {"postal_code": "939-1596", "region": "富山県", "locality": "南砺市", "street_address": "苗島4880"},
    "birthdate": "1980-04-01",
    "gender": "female",
}


def test_profile_fills_name_address_phone_and_email():
    initial = prefill(JUMINHYO, PROFILE, {})
    assert initial["applicant_name"] == {
        "family_name": "南砺",
        "given_name": "花子",
        "family_name_kana": "ナント",
        "given_name_kana": "ハナコ",
    }
    assert initial["applicant_address"]["city"] == "南砺市"
    assert initial["applicant_address"]["postal_code"] == "9391692"
    assert initial["applicant_phone"] == "0763232000"
    assert initial["applicant_email"] == "hanako@example.jp"
    assert "subject_name" not in initial  # no prefill declared there


def test_claims_come_first_and_kana_is_added_from_a_profile_with_the_same_name():
    initial, sources = prefill_with_sources(JUMINHYO, PROFILE, CLAIMS)
    assert initial["applicant_name"] == {
        "family_name": "南砺",
        "given_name": "花子",
        "family_name_kana": "ナント",
        "given_name_kana": "ハナコ",
    }
    assert initial["applicant_address"]["town"] == "苗島4880"  # from the claims, not the profile's 荒木
    assert sources == {
        "applicant_name": "claims.name",
        "applicant_address": "claims.address",
        "applicant_phone": "profile.phone",
        "applicant_email": "profile.email",
    }


def test_kana_of_a_different_name_is_not_mixed_in():
    initial = prefill(JUMINHYO, {**PROFILE, "family_name": "旧姓"}, CLAIMS)
    assert initial["applicant_name"] == {"family_name": "南砺", "given_name": "花子"}


def test_typed_answers_win_over_every_source():
    typed = {
        "applicant_name": {
            "family_name": "山田",
            "given_name": "一",
            "family_name_kana": "ヤマダ",
            "given_name_kana": "ハジメ",
        },
        "applicant_address": {
            "postal_code": "",
            "prefecture": "",
            "city": "",
            "town": "苗島",
            "street": "",
            "building": "",
        },
        "applicant_phone": "09012345678",
        "copies": 3,
    }
    initial = prefill(JUMINHYO, PROFILE, CLAIMS, answers=typed)
    assert initial["applicant_name"]["family_name"] == "山田"
    # A partly typed address is the resident's: it is not completed with someone else's parts.
    assert initial["applicant_address"] == typed["applicant_address"]
    assert initial["applicant_phone"] == "09012345678"
    assert initial["copies"] == 3
    assert initial["applicant_email"] == "hanako@example.jp"  # was empty, so filled


def test_empty_typed_values_do_not_block_prefill():
    initial = prefill(JUMINHYO, PROFILE, {}, answers={"applicant_phone": "", "applicant_email": None})
    assert initial["applicant_phone"] == "0763232000" and initial["applicant_email"] == "hanako@example.jp"


def test_birth_dates_from_profile_and_claims():
    definition = build(
        page(
            "p",
            field("born", "date", prefill="profile.birth_date"),
            field("born2", "date", prefill="claims.birthdate"),
            field("full", "short_text", prefill="profile.full_name_kana"),
            field("claimed", "short_text", prefill="claims.name"),
        )
    )
    initial = prefill(definition, PROFILE, CLAIMS)
    assert initial == {
        "born": "1980-04-01",
        "born2": "1980-04-01",
        "full": "ナント\u3000ハナコ",
        "claimed": "南砺\u3000花子",
    }
    assert prefill(definition, {"birth_date": "1980-04-01"}, {})["born"] == "1980-04-01"


def test_bad_source_values_are_skipped_not_trusted():
    hostile_profile = {
        "family_name": "南" * 500,
        "given_name": "花子",
        "phone": "call me",
        "email": "not-an-email",
        "prefecture": "ムー大陸",
        "city": "",
        "birth_date": "yesterday",
        "postal_code": 9391692,
    }
    hostile_claims = {"name": {"family": "x"}, "address": ["富山県"], "birthdate": "0000-04-01"}
    initial = prefill(JUMINHYO, hostile_profile, hostile_claims)
    assert initial == {}
    assert prefill(JUMINHYO, None, None) == {}
    assert prefill(JUMINHYO, "profile", 42) == {}


def test_prefilled_answers_show_in_the_page_and_pass_validation():
    initial = prefill(JUMINHYO, PROFILE, {})
    form = page_form(JUMINHYO, "applicant", initial=initial)
    assert form["applicant_name__family_name"].value() == "南砺"
    assert form["applicant_address__postal_code"].value() == "939-1692"
    errors = validate_answers(JUMINHYO, initial)
    assert not any(key.startswith("applicant_") for key in errors), errors


def test_claims_leave_furigana_and_block_number_to_the_resident():
    initial = prefill(JUMINHYO, {}, CLAIMS)
    errors = validate_answers(JUMINHYO, initial)
    assert sorted(key for key in errors if key.startswith("applicant_")) == [
        "applicant_address__street",
        "applicant_name__family_name_kana",
        "applicant_name__given_name_kana",
        "applicant_phone",
    ]


def test_name_without_kana_field_gets_no_kana():
    definition = build(page("p", field("nm", "name", kana=False, prefill="profile.name")))
    assert prefill(definition, PROFILE, {}) == {"nm": {"family_name": "南砺", "given_name": "花子"}}
