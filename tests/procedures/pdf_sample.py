"""A 20-field application (every answer type, a repeated group, long text) for the PDF tests and bench/pdf.py."""

from __future__ import annotations

from typing import Any


def _t(ja: str, en: str) -> dict[str, str]:
    return {"ja": ja, "en": en}


def _choice(value: str, ja: str, en: str) -> dict[str, Any]:
    return {"value": value, "label": _t(ja, en)}


DEFINITION: dict[str, Any] = {
    "schema": 1,
    "pages": [
        {
            "id": "applicant",
            "title": _t("申請する方", "About you"),
            "fields": [
                {"id": "applicant_name", "type": "name", "label": _t("氏名", "Full name")},
                {"id": "applicant_address", "type": "address", "label": _t("住所", "Address")},
                {"id": "applicant_phone", "type": "phone", "label": _t("電話番号", "Phone number")},
                {
                    "id": "applicant_email",
                    "type": "email",
                    "label": _t("メールアドレス", "Email address"),
                    "required": False,
                },
                {"id": "birth_date", "type": "date", "label": _t("生年月日", "Date of birth"), "max": "today"},
            ],
        },
        {
            "id": "household",
            "title": _t("世帯の方", "Your household"),
            "fields": [
                {
                    "id": "children",
                    "type": "repeated_group",
                    "label": _t("お子さん", "Children"),
                    "item_label": _t("子ども", "Child"),
                    "max_items": 10,
                    "required": False,
                    "fields": [
                        {"id": "child_name", "type": "name", "label": _t("氏名", "Full name")},
                        {"id": "child_birth", "type": "date", "label": _t("生年月日", "Date of birth")},
                    ],
                },
                {
                    "id": "household_size",
                    "type": "number",
                    "label": _t("世帯の人数", "People in the household"),
                    "min": 1,
                    "max": 20,
                    "unit": _t("人", "people"),
                },
            ],
        },
        {
            "id": "request",
            "title": _t("申請の内容", "Your request"),
            "fields": [
                {
                    "id": "scope",
                    "type": "single_choice",
                    "label": _t("記載する方", "Who should be on it"),
                    "options": [
                        _choice("all", "世帯全員", "Everyone in the household"),
                        _choice("some", "必要な方のみ", "Only some people"),
                    ],
                },
                {
                    "id": "include",
                    "type": "multiple_choice",
                    "label": _t("記載が必要な事項", "Details to include"),
                    "required": False,
                    "options": [
                        _choice("honseki", "本籍・筆頭者", "Registered domicile"),
                        _choice("zokugara", "世帯主の氏名・続柄", "Head of household"),
                    ],
                },
                {
                    "id": "copies",
                    "type": "number",
                    "label": _t("通数", "Number of copies"),
                    "min": 1,
                    "max": 10,
                    "unit": _t("通", "copies"),
                },
                {"id": "purpose", "type": "short_text", "label": _t("使用目的", "What it is for"), "max_length": 200},
                {
                    "id": "details",
                    "type": "long_text",
                    "label": _t("詳しい事情", "Details"),
                    "max_length": 10000,
                    "required": False,
                },
                {"id": "needed_by", "type": "date", "label": _t("必要な日", "Needed by"), "required": False},
                {
                    "id": "proxy_letter",
                    "type": "file",
                    "label": _t("委任状", "Letter of proxy"),
                    "required": False,
                    "max_size_mb": 10,
                    "kinds": ["pdf", "image"],
                },
                {"id": "employer", "type": "short_text", "label": _t("提出先", "Submitted to"), "required": False},
                {
                    "id": "previous_copies",
                    "type": "number",
                    "label": _t("今年度の交付通数", "Copies this year"),
                    "min": 0,
                    "max": 100,
                    "required": False,
                },
                {
                    "id": "delivery",
                    "type": "single_choice",
                    "label": _t("受け取り方法", "Delivery"),
                    "options": [
                        _choice("post", "郵送", "By post"),
                        _choice("counter", "窓口", "At the counter"),
                    ],
                },
                {"id": "note", "type": "long_text", "label": _t("連絡事項", "Anything else"), "required": False},
                {
                    "id": "contact_phone",
                    "type": "phone",
                    "label": _t("連絡先電話番号", "Contact phone"),
                    "required": False,
                },
            ],
        },
        {
            "id": "declaration",
            "title": _t("申請内容の確認", "Declaration"),
            "fields": [
                {
                    "id": "declaration",
                    "type": "consent",
                    "label": _t("上記の内容に同意して申請します", "I agree and send this request"),
                    "declaration": _t("申請内容に偽りがないことを誓約します。", "I declare that this request is true."),
                },
            ],
        },
    ],
    "fee": {
        "items": [
            {"code": "juminhyo", "quantity_field": "copies", "label": _t("住民票の写し", "Certificate of residence")}
        ]
    },
}


def answers(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "applicant_name": {
            "family_name": "髙﨑",
            "given_name": "太郎",
            "family_name_kana": "タカサキ",
            "given_name_kana": "タロウ",
        },
        "applicant_address": {
            "postal_code": "9391692",
            "prefecture": "富山県",
            "city": "南砺市",
            "town": "苗島",
            "street": "４８８０",
            "building": "南砺マンション１０１号",
        },
        "applicant_phone": "09012345678",
        "applicant_email": "taro@example.jp",
        "birth_date": "1985-06-15",
        "children": [
            {
                "child_name": {
                    "family_name": "髙﨑",
                    "given_name": "花子",
                    "family_name_kana": "タカサキ",
                    "given_name_kana": "ハナコ",
                },
                "child_birth": "2015-04-01",
            },
            {
                "child_name": {
                    "family_name": "𠮷野",
                    "given_name": "次郎",
                    "family_name_kana": "ヨシノ",
                    "given_name_kana": "ジロウ",
                },
                "child_birth": "2018-09-30",
            },
        ],
        "household_size": 4,
        "scope": "all",
        "include": ["honseki", "zokugara"],
        "copies": 2,
        "purpose": "勤務先への提出",
        "details": "転職先の会社から、住民票の写しを２通提出するよう求められました。\n本籍の記載が必要です。",
        "needed_by": "2026-12-20",
        "proxy_letter": {"name": "委任状.pdf", "size": 245760, "content_type": "application/pdf"},
        "employer": "株式会社となみ",
        "previous_copies": 1,
        "delivery": "post",
        "note": "平日の日中は電話に出られません。",
        "contact_phone": "0763231234",
        "declaration": True,
    }
    data.update(overrides)
    return data
