"""Demo open data for the five demo municipalities, written for the project: evacuation sites, AEDs, public
toilets and events near each city hall (plausible, not real), and the live オープンデータ一覧 (06).
Idempotent: an existing dataset (by name) is left alone."""

from __future__ import annotations

import datetime

from django.db import transaction

from madoguchi.core.models import Department, Municipality

from .models import Dataset
from .standards import get_standard

# City hall coordinates (approximate) per demo slug.
CITY_HALLS = {
    "nanto": (36.5578, 136.8754),
    "oyabe": (36.6755, 136.8685),
    "uozu": (36.8272, 137.4093),
    "hakusan": (36.5145, 136.5655),
    "nankoku": (33.5757, 133.6414),
}
PLACES = (
    "中央公民館",
    "市民体育館",
    "第一小学校",
    "第二中学校",
    "総合運動公園",
    "文化会館",
    "図書館",
    "市民病院前広場",
)
PLACES_KANA = (
    "チュウオウコウミンカン",
    "シミンタイイクカン",
    "ダイイチショウガッコウ",
    "ダイニチュウガッコウ",
    "ソウゴウウンドウコウエン",
    "ブンカカイカン",
    "トショカン",
    "シミンビョウインマエヒロバ",
)
PLACES_EN = (
    "Central Community Hall",
    "City Gymnasium",
    "Daiichi Elementary School",
    "Daini Junior High School",
    "General Sports Park",
    "Culture Hall",
    "Library",
    "City Hospital Square",
)
OFFSETS = (
    (0.004, 0.003),
    (-0.006, 0.005),
    (0.008, -0.004),
    (-0.003, -0.007),
    (0.011, 0.009),
    (0.002, -0.011),
    (-0.009, 0.001),
    (0.006, 0.012),
)


def _point(slug: str, index: int) -> tuple[str, str]:
    lat, lon = CITY_HALLS.get(slug, (36.7, 137.2))
    d_lat, d_lon = OFFSETS[index % len(OFFSETS)]
    return f"{lat + d_lat:.6f}", f"{lon + d_lon:.6f}"


def _address(m: Municipality, index: int) -> dict[str, str]:
    town = f"{m.name}{'東西南北中'[index % 5]}町{index + 1}丁目"
    return {
        "所在地_全国地方公共団体コード": m.code,
        "所在地_連結表記": f"{m.prefecture}{town}{index * 3 + 1}番地",
        "所在地_都道府県": m.prefecture,
        "所在地_市区町村": m.name,
        "所在地_町字": town.removeprefix(m.name),
        "所在地_番地以下": f"{index * 3 + 1}番地",
    }


def _phone(m: Municipality) -> str:
    digits = m.contact_phone or "0765231000"
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}" if len(digits) == 10 else digits


def _evacuation(m: Municipality) -> list[dict[str, str]]:
    rows = []
    for i, place in enumerate(PLACES):
        lat, lon = _point(m.slug, i)
        rows.append(
            {
                "全国地方公共団体コード": m.code,
                "ID": f"{m.code}03{i + 1:04d}",
                "名称": f"{m.name}{place}",
                "名称_カナ": PLACES_KANA[i],
                "名称_英語": f"{m.name_en} {PLACES_EN[i]}",
                **_address(m, i),
                "緯度": lat,
                "経度": lon,
                "電話番号": _phone(m),
                "市区町村コード": m.code,
                "地方公共団体名": m.name,
                "災害種別_洪水": "1" if i % 3 else "",
                "災害種別_崖崩れ、土石流及び地滑り": "1" if i % 2 else "",
                "災害種別_高潮": "",
                "災害種別_地震": "1",
                "災害種別_津波": "1" if m.slug in ("uozu", "nankoku") else "",
                "災害種別_大規模な火事": "1",
                "災害種別_内水氾濫": "1" if i % 4 else "",
                "災害種別_火山現象": "",
                "指定避難所との重複": "1" if i < 5 else "",
                "想定収容人数": f"{(i + 2) * 150}人",
                "対象となる町会・自治会": f"{'東西南北中'[i % 5]}町内会",
            }
        )
    return rows


def _aed(m: Municipality) -> list[dict[str, str]]:
    rows = []
    for i, place in enumerate(PLACES[:6]):
        lat, lon = _point(m.slug, i)
        rows.append(
            {
                "全国地方公共団体コード": m.code,
                "ID": f"{m.code}08{i + 1:04d}",
                "地方公共団体名": m.name,
                "名称": f"{m.name}{place}",
                "名称_カナ": PLACES_KANA[i],
                **_address(m, i),
                "緯度": lat,
                "経度": lon,
                "設置位置": ("1階 正面玄関", "1階 事務室前", "職員室前", "体育館入口", "管理棟", "2階 ロビー")[i],
                "電話番号": _phone(m),
                "利用可能曜日": "月火水木金土日",
                "開始時間": "08:30",
                "終了時間": "21:00",
                "小児対応設備の有無": "有" if i % 2 == 0 else "無",
            }
        )
    return rows


def _toilets(m: Municipality) -> list[dict[str, str]]:
    rows = []
    for i, place in enumerate(
        ("駅前広場", "総合運動公園", "海浜公園" if m.slug in ("uozu", "nankoku") else "河川公園", "観光案内所")
    ):
        lat, lon = _point(m.slug, i + 3)
        rows.append(
            {
                "全国地方公共団体コード": m.code,
                "ID": f"{m.code}13{i + 1:04d}",
                "地方公共団体名": m.name,
                "名称": f"{place}公衆トイレ",
                "名称_カナ": "コウシュウトイレ",
                **_address(m, i + 3),
                "設置位置": "屋外",
                "緯度": lat,
                "経度": lon,
                "男性トイレ総数": str(2 + i),
                "女性トイレ総数": str(3 + i),
                "男女共用トイレ総数": "1",
                "バリアフリートイレ数": "1",
                "車椅子使用者用トイレ有無": "有",
                "乳幼児用設備設置トイレ有無": "有" if i % 2 == 0 else "無",
                "オストメイト設置トイレ有無": "有" if i < 2 else "無",
                "利用開始時間": "06:00",
                "利用終了時間": "22:00",
            }
        )
    return rows


def _events(m: Municipality) -> list[dict[str, str]]:
    today = datetime.date.today()
    names = (
        ("市民まつり", "シミンマツリ"),
        ("防災訓練", "ボウサイクンレン"),
        ("子育てひろば", "コソダテヒロバ"),
        ("図書館おはなし会", "トショカンオハナシカイ"),
    )
    rows = []
    for i, (name, kana) in enumerate(names):
        lat, lon = _point(m.slug, i)
        start = today + datetime.timedelta(days=14 * (i + 1))
        rows.append(
            {
                "全国地方公共団体コード": m.code,
                "ID": f"{m.code}12{i + 1:04d}",
                "地方公共団体名": m.name,
                "イベント名": f"{m.name}{name}",
                "イベント名_カナ": kana,
                "開始日": start.isoformat(),
                "終了日": start.isoformat(),
                "開始時間": "10:00",
                "終了時間": "15:00",
                "説明": f"{m.name}の{name}です。",
                "場所名称": f"{m.name}{PLACES[i]}",
                **_address(m, i),
                "緯度": lat,
                "経度": lon,
            }
        )
    return rows


DATASETS = (
    (
        "evacuation-space",
        "03",
        "bosai",
        ["disaster"],
        ["避難", "防災"],
        _evacuation,
        "指定緊急避難場所一覧",
        "災害の種類ごとに使える指定緊急避難場所の一覧です。位置と対応する災害の種別を含みます。",
    ),
    (
        "aed",
        "08",
        "fukushi",
        ["health"],
        ["AED", "救命"],
        _aed,
        "AED設置箇所一覧",
        "市内の公共施設に設置している AED（自動体外式除細動器）の場所と利用できる時間の一覧です。",
    ),
    (
        "public-toilet",
        "13",
        "kankyo",
        ["facilities"],
        ["トイレ", "バリアフリー"],
        _toilets,
        "公衆トイレ一覧",
        "市が管理する公衆トイレの場所、便器の数、バリアフリー設備と利用時間の一覧です。",
    ),
    (
        "event",
        "12",
        "shogai-gakushu",
        ["events"],
        ["イベント", "催し"],
        _events,
        "イベント一覧",
        "市が主催・共催するイベントの日時と会場の一覧です。",
    ),
)


def seed_opendata(municipality: Municipality) -> None:
    from . import services
    from .export import csv_bytes_for_rows
    from .manifest import OPENDATA_LIST_PROVIDER

    with transaction.atomic():
        for name, number, department_slug, groups, tags, rows, title, notes in DATASETS:
            if Dataset.objects.filter(municipality=municipality, name=name).exists():
                continue
            standard = get_standard(number)
            assert standard is not None
            department = Department.objects.filter(municipality=municipality, slug=department_slug).first()
            dataset = services.dataset_save(
                municipality=municipality,
                actor=None,
                data={
                    "name": name,
                    "title": title,
                    "notes": f"{municipality.name}の{notes}",
                    "department": department,
                    "tags": tags,
                    "groups": groups,
                    "license_id": "cc-by-4.0",
                    "frequency": "irregular",
                    "standard_number": number,
                },
            )
            body = csv_bytes_for_rows(standard.column_names, rows(municipality))
            services.resource_upload(
                dataset=dataset,
                actor=None,
                name=title,
                description="",
                raw=body,
                filename=standard.file_name(municipality.code),
            )
            services.dataset_publish(dataset=dataset, actor=None)
        # Live datasets from the other modules (e.g. 公共施設一覧 from facilities), then the オープンデータ一覧 last,
        # so it lists them too.
        from .providers import all_providers

        keys = [key for key in all_providers() if key != OPENDATA_LIST_PROVIDER.key] + [OPENDATA_LIST_PROVIDER.key]
        for key in keys:
            live = services.live_dataset_create(municipality=municipality, actor=None, provider_key=key)
            services.live_dataset_regenerate(dataset=live, force=True)
            if live.published_at is None:
                services.dataset_publish(dataset=live, actor=None)
