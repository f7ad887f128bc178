"""The preset catalogue data (procedures.presets) is consistent with the models and the demo departments.

Pure data checks: no database."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.exceptions import ValidationError

from madoguchi.core.models import slug_validator
from madoguchi.demo.data import DEPARTMENTS
from madoguchi.procedures.models import (
    Applicant,
    Category,
    Channel,
    Delivery,
    Fee,
    IdentityLevel,
    LifeEvent,
    Procedure,
    RequiredAttachment,
)
from madoguchi.procedures.presets import PRESETS, Preset, preset_by_key

HIRAGANA = re.compile(r"^[\u3041-\u3096ー ]+$")
KEY = re.compile(r"^[a-z][a-z0-9-]{1,59}$")


def _ids(preset: Preset) -> str:
    return preset.key


def test_keys_are_unique_slugs() -> None:
    keys = [preset.key for preset in PRESETS]
    assert len(keys) == len(set(keys)), [key for key, n in Counter(keys).items() if n > 1]
    for key in keys:
        assert KEY.match(key), key
        # The key is also the procedure's default URL slug, so it must pass the model's slug validator too.
        slug_validator(key)


def test_names_are_unique() -> None:
    names = [preset.name for preset in PRESETS]
    assert len(names) == len(set(names)), [name for name, n in Counter(names).items() if n > 1]
    names_en = [preset.name_en for preset in PRESETS]
    assert len(names_en) == len(set(names_en)), [name for name, n in Counter(names_en).items() if n > 1]


def test_exactly_26_national_procedures() -> None:
    national = [preset for preset in PRESETS if preset.national_26]
    assert len(national) == 26
    assert {preset.category for preset in national} == {Category.CHILDCARE, Category.NURSING_CARE}
    assert sum(preset.category == Category.CHILDCARE for preset in national) == 15
    assert sum(preset.category == Category.NURSING_CARE for preset in national) == 11


def test_issue_presets_are_present() -> None:
    names = {preset.name for preset in PRESETS}
    for name in (
        "住民票の写し等交付申請",
        "戸籍証明書等交付申請",
        "印鑑登録証明書交付申請",
        "所得課税証明書交付申請",
        "納税証明書交付申請",
        "罹災証明書交付申請",
        "粗大ごみ収集の申込",
        "犬の登録・死亡届",
        "水道使用開始・中止届",
        "イベント・講座の申込",
        "児童手当等の受給資格及び児童手当の額についての認定請求",
        "妊娠の届出",
        "要介護・要支援認定の申請",
    ):
        assert name in names, name
    assert any(preset.category == Category.SURVEY for preset in PRESETS)


def test_preset_by_key_finds_every_preset() -> None:
    for preset in PRESETS:
        assert preset_by_key(preset.key) is preset
    assert preset_by_key("no-such-preset") is None


@pytest.mark.parametrize("preset", PRESETS, ids=_ids)
def test_choice_values_are_model_choices(preset: Preset) -> None:
    assert preset.category in Category.values
    assert preset.identity_level in IdentityLevel.values
    assert preset.channel in Channel.values
    assert set(preset.life_events) <= set(LifeEvent.values), preset.life_events
    assert preset.applicants, "at least one kind of applicant"
    assert set(preset.applicants) <= set(Applicant.values), preset.applicants
    assert set(preset.delivery_methods) <= set(Delivery.values), preset.delivery_methods
    for values in (preset.life_events, preset.applicants, preset.delivery_methods):
        assert len(values) == len(set(values)), values


@pytest.mark.parametrize("preset", PRESETS, ids=_ids)
def test_department_exists_in_demo(preset: Preset) -> None:
    assert preset.department in {slug for slug, _name, _name_en in DEPARTMENTS}


@pytest.mark.parametrize("preset", PRESETS, ids=_ids)
def test_kana_is_hiragana(preset: Preset) -> None:
    assert HIRAGANA.match(preset.name_kana), preset.name_kana
    assert preset.name_kana == preset.name_kana.strip()


@pytest.mark.parametrize("preset", PRESETS, ids=_ids)
def test_japanese_and_english_texts_are_present(preset: Preset) -> None:
    for field in ("name", "name_kana", "name_en", "summary", "summary_en", "preparation", "preparation_en"):
        assert getattr(preset, field).strip(), field
    for attachment in preset.attachments:
        assert attachment.name.strip() and attachment.name_en.strip()
        assert bool(attachment.condition.strip()) == bool(attachment.condition_en.strip()), attachment.name
    for fee in preset.fees:
        assert fee.name.strip() and fee.name_en.strip()
        assert fee.unit.strip() and fee.unit_en.strip()


@pytest.mark.parametrize("preset", PRESETS, ids=_ids)
def test_processing_days_and_delivery(preset: Preset) -> None:
    assert 0 <= preset.processing_days <= 365
    if preset.category == Category.SURVEY or preset.identity_level == IdentityLevel.NONE:
        assert not preset.fees and not preset.attachments


@pytest.mark.parametrize("preset", PRESETS, ids=_ids)
def test_national_procedures_use_my_number_card(preset: Preset) -> None:
    if preset.national_26:
        assert preset.identity_level == IdentityLevel.MY_NUMBER_CARD
        assert preset.category in {Category.CHILDCARE, Category.NURSING_CARE}


@pytest.mark.parametrize("preset", PRESETS, ids=_ids)
def test_life_event_browsing_finds_childcare_and_care(preset: Preset) -> None:
    if preset.category == Category.CHILDCARE:
        assert {LifeEvent.PREGNANCY, LifeEvent.BIRTH} & set(preset.life_events)
    if preset.category == Category.NURSING_CARE:
        assert LifeEvent.CARE in preset.life_events


def test_survey_template() -> None:
    surveys = [preset for preset in PRESETS if preset.category == Category.SURVEY]
    assert len(surveys) == 1
    survey = surveys[0]
    assert survey.identity_level == IdentityLevel.NONE
    assert survey.channel == Channel.ONLINE
    assert survey.processing_days == 0
    assert not survey.delivery_methods


def test_fees_are_positive_and_codes_consistent() -> None:
    by_code: dict[str, set[tuple[str, str, int, str, str]]] = {}
    for preset in PRESETS:
        codes = [fee.code for fee in preset.fees]
        assert len(codes) == len(set(codes)), preset.key
        for fee in preset.fees:
            assert fee.amount > 0, (preset.key, fee.code)
            assert fee.amount <= 1_000_000, (preset.key, fee.code)
            slug_validator(fee.code)
            by_code.setdefault(fee.code, set()).add((fee.name, fee.name_en, fee.amount, fee.unit, fee.unit_en))
    # Enabling a preset joins the municipality's fee table by code: one code must always mean the same fee.
    inconsistent = {code: lines for code, lines in by_code.items() if len(lines) > 1}
    assert not inconsistent


def test_known_fee_amounts() -> None:
    amounts = {fee.code: fee.amount for preset in PRESETS for fee in preset.fees}
    assert amounts["juminhyo"] == 300
    assert amounts["koseki-zenbu"] == 450
    assert amounts["koseki-kojin"] == 450
    assert amounts["joseki"] == 750
    assert amounts["inkan-shomei"] == 300
    assert amounts["shotoku-kazei-shomei"] == 300
    assert amounts["nozei-shomei"] == 300
    assert amounts["inu-toroku"] == 3000
    assert amounts["kyokenbyo-chushazumihyo"] == 550
    risai = next(preset for preset in PRESETS if preset.name == "罹災証明書交付申請")
    assert not risai.fees


def _max_length(model: type, field: str) -> int:
    return model._meta.get_field(field).max_length


@pytest.mark.parametrize("preset", PRESETS, ids=_ids)
def test_texts_fit_the_model_fields(preset: Preset) -> None:
    """Enabling a preset runs full_clean on the copy: every text must fit its column."""
    for field in (
        "name",
        "name_kana",
        "name_en",
        "summary",
        "summary_en",
        "legal_basis",
        "preparation",
        "preparation_en",
    ):
        assert len(getattr(preset, field)) <= _max_length(Procedure, field), field
    for attachment in preset.attachments:
        for field in ("name", "name_en", "condition", "condition_en"):
            assert len(getattr(attachment, field)) <= _max_length(RequiredAttachment, field), (attachment.name, field)
    for fee in preset.fees:
        for field in ("name", "name_en", "unit", "unit_en"):
            assert len(getattr(fee, field)) <= _max_length(Fee, field), (fee.code, field)
        assert len(fee.code) <= _max_length(Fee, "code")


def test_slug_validator_rejects_bad_keys() -> None:
    """Guard for the check above: the validator really refuses what a key must not be."""
    for bad in ("Juminhyo", "1juminhyo", "j", "jumin_hyo", "住民票"):
        with pytest.raises(ValidationError):
            slug_validator(bad)
