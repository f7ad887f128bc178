import pytest
from django.core.exceptions import ValidationError

from madoguchi.core.validators import (
    normalize_katakana,
    normalize_phone_number,
    normalize_postal_code,
    validate_local_government_code,
)


@pytest.mark.parametrize("code", ["162108", "162094", "162043", "172103", "392049", "131016"])
def test_real_local_government_codes_pass(code):
    validate_local_government_code(code)


@pytest.mark.parametrize(
    ("code", "error_code"), [("162107", "check_digit"), ("16210", "format"), ("16210a", "format"), ("", "format")]
)
def test_bad_local_government_codes_are_refused(code, error_code):
    with pytest.raises(ValidationError) as excinfo:
        validate_local_government_code(code)
    assert excinfo.value.code == error_code


@pytest.mark.parametrize("text", ["939-1692", "9391692", "〒939-1692", "９３９－１６９２", "939ー1692"])
def test_postal_codes_normalise_to_seven_digits(text):
    assert normalize_postal_code(text) == "9391692"


@pytest.mark.parametrize("text", ["939-169", "93916921", "abc-defg", ""])
def test_bad_postal_codes(text):
    with pytest.raises(ValidationError):
        normalize_postal_code(text)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("0761-23-4567", "0761234567"),
        ("(0761)23-4567", "0761234567"),
        ("07612345678", "07612345678"),
        ("０９０－１２３４－５６７８", "09012345678"),
        ("+81 90 1234 5678", "09012345678"),
    ],
)
def test_phone_numbers_normalise_to_digits(text, digits):
    assert normalize_phone_number(text) == digits


@pytest.mark.parametrize("text", ["12345", "0761-23-45678-9", "090-abcd-5678", "1761234567"])
def test_bad_phone_numbers(text):
    with pytest.raises(ValidationError):
        normalize_phone_number(text)


def test_katakana_accepts_hiragana_and_halfwidth():
    assert normalize_katakana("やまだ") == "ヤマダ"
    assert normalize_katakana("ﾔﾏﾀﾞ") == "ヤマダ"
    assert normalize_katakana("ヤマダ タロウ") == "ヤマダ タロウ"


@pytest.mark.parametrize("text", ["山田", "Yamada", "ヤマダ1"])
def test_katakana_refuses_other_scripts(text):
    with pytest.raises(ValidationError) as excinfo:
        normalize_katakana(text)
    assert "カタカナ" in excinfo.value.messages[0]
