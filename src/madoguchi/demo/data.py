"""The five demo municipalities of the reference DX plans, their departments, one staff account per role and
fictitious residents. Development only: the production profile refuses to load it. Idempotent."""

from __future__ import annotations

import datetime
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from madoguchi.accounts import mfa
from madoguchi.accounts.models import Profile, Role, StaffMembership, TOTPDevice, User
from madoguchi.core.models import Department, ModuleActivation, Municipality
from madoguchi.core.registry import registry

DEMO_PASSWORD = "madoguchi-demo-2026"  # noqa: S105 (published demo login, refused in production)
# Every demo staff account shares this authenticator secret, so one entry in an authenticator app (or
# `madoguchi demo_totp`) signs in as any of them. Demo data never loads in production.
DEMO_TOTP_SECRET = "MADOGUCHIDEMOTOTPSECRETKEY234567"  # noqa: S105
PLATFORM_ADMIN_EMAIL = "platform-admin@madoguchi.example.jp"

MUNICIPALITIES: tuple[dict[str, Any], ...] = (
    {
        "code": "162108",
        "slug": "nanto",
        "receipt_prefix": "NT",
        "name": "南砺市",
        "name_kana": "なんとし",
        "name_en": "Nanto City",
        "prefecture": "富山県",
        "prefecture_en": "Toyama",
        "postal_code": "9391596",
        "address": "富山県南砺市苗島4880",
        "address_en": "4880 Naeshima, Nanto, Toyama",
        "contact_phone": "0763232000",
        "contact_department": "地域デジタル推進課",
    },
    {
        "code": "162094",
        "slug": "oyabe",
        "receipt_prefix": "OY",
        "name": "小矢部市",
        "name_kana": "おやべし",
        "name_en": "Oyabe City",
        "prefecture": "富山県",
        "prefecture_en": "Toyama",
        "postal_code": "9328611",
        "address": "富山県小矢部市本町1番1号",
        "address_en": "1-1 Honmachi, Oyabe, Toyama",
        "contact_phone": "0766671760",
        "contact_department": "企画政策課",
    },
    {
        "code": "162043",
        "slug": "uozu",
        "receipt_prefix": "UZ",
        "name": "魚津市",
        "name_kana": "うおづし",
        "name_en": "Uozu City",
        "prefecture": "富山県",
        "prefecture_en": "Toyama",
        "postal_code": "9378555",
        "address": "富山県魚津市釈迦堂1丁目10番1号",
        "address_en": "1-10-1 Shakado, Uozu, Toyama",
        "contact_phone": "0765231000",
        "contact_department": "企画政策課",
    },
    {
        "code": "172103",
        "slug": "hakusan",
        "receipt_prefix": "HK",
        "name": "白山市",
        "name_kana": "はくさんし",
        "name_en": "Hakusan City",
        "prefecture": "石川県",
        "prefecture_en": "Ishikawa",
        "postal_code": "9248688",
        "address": "石川県白山市倉光二丁目1番地",
        "address_en": "2-1 Kuramitsu, Hakusan, Ishikawa",
        "contact_phone": "0762761111",
        "contact_department": "DX推進課",
    },
    {
        "code": "392049",
        "slug": "nankoku",
        "receipt_prefix": "NK",
        "name": "南国市",
        "name_kana": "なんこくし",
        "name_en": "Nankoku City",
        "prefecture": "高知県",
        "prefecture_en": "Kochi",
        "postal_code": "7838501",
        "address": "高知県南国市大そね甲2301",
        "address_en": "2301 Osone-ko, Nankoku, Kochi",
        "contact_phone": "0888632111",
        "contact_department": "企画課",
    },
)

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("shimin", "市民課", "Citizens Division"),
    ("zeimu", "税務課", "Taxation Division"),
    ("kosodate", "子育て支援課", "Child and Family Support Division"),
    ("fukushi", "福祉課", "Welfare Division"),
    ("kankyo", "環境課", "Environment Division"),
    ("shogai-gakushu", "生涯学習課", "Lifelong Learning Division"),
    ("bosai", "防災危機管理課", "Disaster Management Division"),
    ("kensetsu", "建設課", "Construction Division"),
    ("dx", "DX推進課", "Digital Transformation Office"),
)

STAFF_ROLES: tuple[tuple[str, str, str, str, str | None], ...] = (
    # (local part, role, family name, given name, department slug)
    ("admin", Role.MUNICIPALITY_ADMIN, "管理", "太郎", "dx"),
    ("shimin", Role.DEPARTMENT_STAFF, "市民", "花子", "shimin"),
    ("counter", Role.COUNTER_STAFF, "窓口", "次郎", "shimin"),
    ("auditor", Role.AUDITOR, "監査", "三郎", None),
)

RESIDENTS: tuple[dict[str, Any], ...] = (
    {
        "email": "taro.yamada@example.jp",
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ",
        "birth_date": datetime.date(1985, 4, 12),
        "municipality": "nanto",
        "postal_code": "9391596",
        "town": "苗島",
        "street": "100番地",
        "phone": "09012345678",
    },
    {
        "email": "hanako.sato@example.jp",
        "family_name": "佐藤",
        "given_name": "花子",
        "family_name_kana": "サトウ",
        "given_name_kana": "ハナコ",
        "birth_date": datetime.date(1992, 11, 3),
        "municipality": "hakusan",
        "postal_code": "9248688",
        "town": "倉光",
        "street": "三丁目5番地",
        "phone": "08023456789",
    },
    {
        "email": "ken.tanaka@example.jp",
        "family_name": "田中",
        "given_name": "健",
        "family_name_kana": "タナカ",
        "given_name_kana": "ケン",
        "birth_date": datetime.date(1958, 1, 20),
        "municipality": "uozu",
        "postal_code": "9378555",
        "town": "釈迦堂",
        "street": "2丁目3番4号",
        "phone": "0765231234",
    },
    {
        "email": "yui.kobayashi@example.jp",
        "family_name": "小林",
        "given_name": "結衣",
        "family_name_kana": "コバヤシ",
        "given_name_kana": "ユイ",
        "birth_date": datetime.date(2001, 7, 30),
        "municipality": "oyabe",
        "postal_code": "9328611",
        "town": "本町",
        "street": "2番3号",
        "phone": "07034567890",
    },
    {
        "email": "makoto.ito@example.jp",
        "family_name": "伊藤",
        "given_name": "誠",
        "family_name_kana": "イトウ",
        "given_name_kana": "マコト",
        "birth_date": datetime.date(1975, 9, 9),
        "municipality": "nankoku",
        "postal_code": "7838501",
        "town": "大そね甲",
        "street": "1500",
        "phone": "0888631111",
    },
)


def staff_email(local: str, slug: str) -> str:
    return f"{local}@{slug}.example.jp"


def _ensure_user(email: str, **profile: Any) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, email_verified_at=timezone.now())
    Profile.objects.get_or_create(user=user, defaults=profile)
    return user


def _ensure_totp(user: User) -> None:
    if not TOTPDevice.objects.filter(user=user).exists():
        TOTPDevice.objects.create(
            user=user, encrypted_secret=mfa.encrypt_secret(DEMO_TOTP_SECRET), confirmed_at=timezone.now()
        )


@transaction.atomic
def load_demo_data() -> dict[str, int]:
    if not settings.DEMO_DATA_ALLOWED:
        raise RuntimeError("Demo data is refused in production (MADOGUCHI_ENV=production).")
    created = {"municipalities": 0}
    with scopes_disabled():
        admin = User.objects.filter(email=PLATFORM_ADMIN_EMAIL).first()
        if admin is None:
            admin = User.objects.create_superuser(email=PLATFORM_ADMIN_EMAIL, password=DEMO_PASSWORD)
        Profile.objects.get_or_create(user=admin, defaults={"family_name": "基盤", "given_name": "管理者"})
        _ensure_totp(admin)
        by_slug: dict[str, Municipality] = {}
        for data in MUNICIPALITIES:
            municipality, was_created = Municipality.objects.get_or_create(
                code=data["code"],
                defaults={
                    **{k: v for k, v in data.items() if k != "code"},
                    "office_hours": "平日 8:30〜17:15（土日祝日・12月29日〜1月3日を除く）",
                    "office_hours_en": "Weekdays 8:30–17:15 (closed on weekends, national holidays and 29 Dec–3 Jan)",
                },
            )
            created["municipalities"] += int(was_created)
            by_slug[municipality.slug] = municipality
            departments = {}
            for slug, name, name_en in DEPARTMENTS:
                departments[slug], _ = Department.objects.get_or_create(
                    municipality=municipality, slug=slug, defaults={"name": name, "name_en": name_en}
                )
            for local, role, family_name, given_name, department_slug in STAFF_ROLES:
                user = _ensure_user(
                    staff_email(local, municipality.slug), family_name=family_name, given_name=given_name
                )
                _ensure_totp(user)
                StaffMembership.objects.get_or_create(
                    municipality=municipality,
                    user=user,
                    role=role,
                    defaults={"department": departments[department_slug] if department_slug else None},
                )
            for manifest in registry.all():
                ModuleActivation.objects.get_or_create(
                    municipality=municipality,
                    module_key=manifest.key,
                    defaults={"enabled": True, "settings": manifest.default_settings()},
                )
                if manifest.demo_seeder is not None:
                    manifest.demo_seeder(municipality)
        for resident in RESIDENTS:
            municipality = by_slug[resident["municipality"]]
            profile = {k: v for k, v in resident.items() if k not in ("email", "municipality")}
            _ensure_user(
                resident["email"],
                home_municipality=municipality,
                prefecture=municipality.prefecture,
                city=municipality.name,
                **profile,
            )
    return created


class _Writer(Protocol):
    def write(self, msg: str, /) -> object: ...


def print_demo_logins(out: _Writer) -> None:
    slugs = ", ".join(m["slug"] for m in MUNICIPALITIES)
    lines = [
        "",
        "Demo logins (development only) — password for every account: " + DEMO_PASSWORD,
        f"  Platform admin:        {PLATFORM_ADMIN_EMAIL}   (Django admin at /admin/)",
        f"  Staff per municipality ({slugs}):",
        "    municipality admin:  admin@<slug>.example.jp      e.g. admin@nanto.example.jp",
        "    department staff:    shimin@<slug>.example.jp     (市民課)",
        "    counter staff:       counter@<slug>.example.jp",
        "    auditor:             auditor@<slug>.example.jp",
        f"  Staff second factor: add the secret {DEMO_TOTP_SECRET} to an authenticator app,",
        "    or print the current code with:  .venv/bin/madoguchi demo_totp",
        "  Residents: " + ", ".join(r["email"] for r in RESIDENTS),
        "",
    ]
    out.write("\n".join(lines) + "\n")
