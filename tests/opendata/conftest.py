from __future__ import annotations

import pytest

from madoguchi.core.tenancy import municipality_scope
from madoguchi.opendata import services
from madoguchi.opendata.export import csv_bytes_for_rows
from madoguchi.opendata.standards import get_standard

from ..factories import enable_module, make_department

TOILETS = [
    {
        "全国地方公共団体コード": "{code}",
        "ID": "T0001",
        "名称": "駅前公衆トイレ",
        "所在地_連結表記": "富山県甲市駅前1番地",
        "設置位置": "屋外",
        "緯度": "36.827200",
        "経度": "137.409300",
        "車椅子使用者用トイレ有無": "有",
        "利用開始時間": "06:00",
        "利用終了時間": "22:00",
    },
    {
        "全国地方公共団体コード": "{code}",
        "ID": "T0002",
        "名称": "海浜公園トイレ",
        "所在地_連結表記": "富山県甲市浜1番地",
        "設置位置": "公園内",
        "緯度": "36.830000",
        "経度": "137.400000",
        "車椅子使用者用トイレ有無": "無",
        "利用開始時間": "09:00",
        "利用終了時間": "17:00",
    },
]


def toilet_rows(code: str) -> list[dict[str, str]]:
    return [{key: value.replace("{code}", code) for key, value in row.items()} for row in TOILETS]


def make_dataset(
    municipality,
    *,
    name,
    title,
    notes="説明文です。",
    department=None,
    tags=(),
    groups=(),
    standard="",
    rows=None,
    publish=True,
    filename=None,
):
    with municipality_scope(municipality):
        dataset = services.dataset_save(
            municipality=municipality,
            actor=None,
            data={
                "name": name,
                "title": title,
                "notes": notes,
                "department": department,
                "tags": list(tags),
                "groups": list(groups),
                "license_id": "cc-by-4.0",
                "frequency": "irregular",
                "standard_number": standard,
            },
        )
        if rows is not None:
            columns = get_standard(standard).column_names if standard else list(rows[0])
            services.resource_upload(
                dataset=dataset,
                actor=None,
                name=f"{title} CSV",
                description="",
                raw=csv_bytes_for_rows(columns, rows),
                filename=filename or f"{name}.csv",
            )
        if publish:
            dataset = services.dataset_publish(dataset=dataset, actor=None)
        return dataset


@pytest.fixture
def bosai_a(city_a):
    enable_module(city_a, "opendata")
    return make_department(city_a, slug="bosai", name="防災危機管理課", name_en="Disaster Management Division")


@pytest.fixture
def catalogue_a(city_a, bosai_a):
    """City A: 指定緊急避難場所一覧 (tags 避難/防災), 公衆トイレ一覧 (standard 13, two rows), one draft."""
    evacuation = make_dataset(
        city_a,
        name="evacuation-space",
        title="指定緊急避難場所一覧",
        notes="災害時の指定緊急避難場所です。",
        department=bosai_a,
        tags=["避難", "防災"],
        groups=["disaster"],
        rows=[{"名称": "中央公民館", "緯度": "36.8", "経度": "137.4"}],
    )
    toilets = make_dataset(
        city_a,
        name="public-toilet",
        title="公衆トイレ一覧",
        notes="市が管理する公衆トイレの一覧です。",
        department=bosai_a,
        tags=["トイレ"],
        groups=["facilities"],
        standard="13",
        rows=toilet_rows(city_a.code),
    )
    draft = make_dataset(city_a, name="draft-data", title="下書きのデータ", publish=False)
    return {"evacuation": evacuation, "toilets": toilets, "draft": draft}


@pytest.fixture
def catalogue_b(city_b):
    enable_module(city_b, "opendata")
    return make_dataset(
        city_b,
        name="secret-b",
        title="乙市の避難所データ",
        notes="乙市だけのデータ。",
        tags=["避難"],
        rows=[{"名称": "乙市体育館"}],
    )
