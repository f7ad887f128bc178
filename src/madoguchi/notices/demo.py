"""Demo notices for a municipality (development only; idempotent)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from madoguchi.core.models import Municipality

from .models import Importance, Notice

DEMO_NOTICES = (
    (
        "年末年始の窓口業務のお知らせ",
        "Counter services over the New Year holidays",
        "12月29日から1月3日まで、市役所の窓口業務はお休みします。オンライン申請は期間中もご利用いただけます。",
        "City hall counters are closed from 29 December to 3 January. Online applications remain available.",
        Importance.IMPORTANT,
        3,
    ),
    (
        "オンライン窓口を開設しました",
        "Our online counter is open",
        "マイナンバーカードをお持ちの方は、一部の手続を自宅からオンラインで申請できるようになりました。",
        "Residents with a My Number Card can now complete some procedures online from home.",
        Importance.NORMAL,
        10,
    ),
    (
        "防災訓練のお知らせ",
        "Disaster drill",
        "市内全域で総合防災訓練を実施します。防災行政無線で訓練放送を行います。",
        "A city-wide disaster drill will be held. Drill announcements will be broadcast on the outdoor speakers.",
        Importance.NORMAL,
        20,
    ),
)


def seed_notices(municipality: Municipality) -> None:
    now = timezone.now()
    for title, title_en, body, body_en, importance, days_ago in DEMO_NOTICES:
        Notice.objects.get_or_create(
            municipality=municipality,
            title=title,
            defaults={
                "title_en": title_en,
                "body": body,
                "body_en": body_en,
                "importance": importance,
                "published_at": now - datetime.timedelta(days=days_ago),
            },
        )
