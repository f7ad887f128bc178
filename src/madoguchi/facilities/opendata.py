"""Dataset provider for 公共施設一覧 (自治体標準オープンデータセット 01).

`public_facilities(municipality)` yields one dict per published facility; the keys are the dataset's column
names in this order (COLUMNS), every value a string (empty when unknown), so a consumer can write them as CSV
(UTF-8 with BOM, CRLF) without knowing this module. Coordinates are decimal degrees, times HH:MM, 利用可能曜日
the Japanese weekday names joined with 「・」, バリアフリー情報 lines joined with 「;」.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from madoguchi.core.models import Municipality

from .models import WEEKDAY_LABELS, Facility

DATASET_KEY = "public_facility"
DATASET_NAME = "公共施設一覧"

# Order: the new-format 所在地 and contact blocks (as in 03/13 of the research notes), with 説明 and
# バリアフリー情報 kept from the legacy 公共施設 template (NEC 12).
COLUMNS = (
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英語",
    "所在地_全国地方公共団体コード",
    "町字ID",
    "所在地_連結表記",
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名等(方書)",
    "緯度",
    "経度",
    "種別",
    "電話番号",
    "内線番号",
    "連絡先メールアドレス",
    "連絡先FormURL",
    "連絡先備考（その他、SNSなど）",
    "郵便番号",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "説明",
    "バリアフリー情報",
    "URL",
    "画像",
    "画像_ライセンス",
    "備考",
)


def _weekdays(value: str) -> str:
    return "・".join(str(WEEKDAY_LABELS[int(day)]) for day in sorted(value))


def _notes(facility: Facility) -> str:
    notes = []
    if facility.closed_on_holidays:
        notes.append("国民の祝日は休館")
    if facility.closed_year_end:
        notes.append("年末年始（12月29日～1月3日）は休館")
    return "。".join(notes) + ("。" if notes else "")


def public_facilities(municipality: Municipality, *, base_url: str | None = None) -> Iterator[dict[str, str]]:
    """The 公共施設一覧 rows. The URL column needs the public address of the site (MADOGUCHI_PUBLIC_URL); without
    one it stays empty rather than holding a relative link, which the standard does not allow."""
    if base_url is None:
        from django.conf import settings

        base_url = settings.PUBLIC_BASE_URL
    from django.utils import translation

    from madoguchi.core.tenancy import municipality_scope

    # Enters the municipality's scope itself, so a consumer (the open data module, a command) needs none.
    with translation.override("ja"), municipality_scope(municipality):
        for facility in Facility.objects.filter(municipality=municipality, is_published=True).order_by("pk"):
            row = {
                "全国地方公共団体コード": municipality.code,
                "ID": f"{municipality.code}-F{facility.pk:06d}",
                "地方公共団体名": municipality.name,
                "名称": facility.name,
                "名称_カナ": facility.name_kana,
                "名称_英語": facility.name_en,
                "所在地_全国地方公共団体コード": municipality.code,
                "町字ID": "",
                "所在地_連結表記": facility.address,
                "所在地_都道府県": facility.address_prefecture,
                "所在地_市区町村": facility.address_city,
                "所在地_町字": facility.address_town,
                "所在地_番地以下": facility.address_rest,
                "建物名等(方書)": facility.address_building,
                "緯度": f"{facility.latitude:.6f}" if facility.latitude is not None else "",
                "経度": f"{facility.longitude:.6f}" if facility.longitude is not None else "",
                "種別": str(facility.get_kind_display()),
                "電話番号": facility.phone,
                "内線番号": "",
                "連絡先メールアドレス": "",
                "連絡先FormURL": "",
                "連絡先備考（その他、SNSなど）": "",
                "郵便番号": f"{facility.postal_code[:3]}-{facility.postal_code[3:]}"
                if len(facility.postal_code) == 7
                else "",
                "利用可能曜日": _weekdays(facility.open_weekdays),
                "開始時間": f"{facility.opens_at:%H:%M}",
                "終了時間": f"{facility.closes_at:%H:%M}",
                "利用可能日時特記事項": _notes(facility),
                "説明": facility.description,
                "バリアフリー情報": ";".join(
                    line.strip() for line in facility.barrier_free.splitlines() if line.strip()
                ),
                "URL": f"{base_url}/{municipality.slug}/facilities/{facility.slug}/"
                if base_url
                else f"/{municipality.slug}/facilities/{facility.slug}/",
                "画像": "",
                "画像_ライセンス": "",
                "備考": facility.parking and f"駐車場：{facility.parking}",
            }
            yield {column: row[column] for column in COLUMNS}


def facilities_last_changed(municipality: Municipality) -> Any:
    """When this municipality's facility catalogue last changed (the open data module regenerates 01 after)."""
    from django.db.models import Max

    from madoguchi.core.tenancy import municipality_scope

    with municipality_scope(municipality):
        return Facility.objects.filter(municipality=municipality).aggregate(last=Max("updated_at"))["last"]
