"""公共施設予約: facilities, rooms, bookable units, fees, registrations and bookings.

Double booking is impossible by construction: every booked unit is a `BookedUnit` row, and the database
refuses a second *active* row for the same (room, date, unit) with a partial unique index (SQLite and
PostgreSQL). On PostgreSQL an exclusion constraint (migration 0002, btree_gist) also refuses overlapping time
ranges in one room, so two differently defined units (午前 and a combined 終日, say) cannot both be held.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from madoguchi.core.models import MunicipalityOwned, localized, slug_validator


def _token() -> str:
    return secrets.token_urlsafe(24)


class FacilityKind(models.TextChoices):
    COMMUNITY_CENTRE = "community_centre", _("公民館・コミュニティセンター")
    GYM = "gym", _("体育館")
    FIELD = "field", _("運動場・グラウンド")
    MEETING_ROOM = "meeting_room", _("会議室")
    HALL = "hall", _("ホール")
    OTHER = "other", _("その他")


WEEKDAY_LABELS = tuple(pgettext_lazy("weekday", day) for day in ("月", "火", "水", "木", "金", "土", "日"))


# Path segments the facilities URLs use next to /<slug>/facilities/<facility>/ (public, staff and API).
RESERVED_FACILITY_SLUGS = frozenset(
    {"register", "mine", "calendar", "rooms", "bookings", "new", "registrations", "reductions", "checkin", "photos"}
)


def validate_facility_slug(value: str) -> None:
    if value in RESERVED_FACILITY_SLUGS:
        raise ValidationError(_("この識別名はシステムで使っているため使えません。"))


def validate_weekdays(value: str) -> None:
    if not value or any(ch not in "0123456" for ch in value) or len(set(value)) != len(value):
        raise ValidationError(_("開館曜日は0（月）〜6（日）の数字を重複なく並べてください。"))


def parse_refund_table(value: str) -> list[tuple[int, int]]:
    """ "7:100,1:50,0:0" → [(7, 100), (1, 50), (0, 0)]: cancelled at least N days before use → P % refund."""
    rows: list[tuple[int, int]] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        days, sep, percent = part.partition(":")
        if not sep or not days.strip().isdigit() or not percent.strip().isdigit():
            raise ValidationError(_("返金表は「日数:返金率」をカンマで区切って入力してください（例 7:100,1:50,0:0）。"))
        day_count, rate = int(days), int(percent)
        if day_count > 365 or rate > 100:
            raise ValidationError(_("日数は365以下、返金率は0〜100にしてください。"))
        rows.append((day_count, rate))
    if not rows:
        raise ValidationError(_("返金表を1行以上入力してください。"))
    if len({d for d, _p in rows}) != len(rows):
        raise ValidationError(_("返金表に同じ日数が2回あります。"))
    return sorted(rows, reverse=True)


def validate_refund_table(value: str) -> None:
    parse_refund_table(value)


class Facility(MunicipalityOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.CharField(_("識別名"), max_length=40, validators=[slug_validator, validate_facility_slug])
    name = models.CharField(_("施設名"), max_length=100)
    name_kana = models.CharField(_("施設名（カナ）"), max_length=200)
    name_en = models.CharField(_("施設名（英語）"), max_length=200, blank=True)
    kind = models.CharField(_("種別"), max_length=30, choices=FacilityKind.choices)
    area = models.CharField(_("地区"), max_length=40, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    address_prefecture = models.CharField(_("都道府県"), max_length=10)
    address_city = models.CharField(_("市区町村"), max_length=40)
    address_town = models.CharField(_("町字"), max_length=80, blank=True)
    address_rest = models.CharField(_("番地以下"), max_length=80, blank=True)
    address_building = models.CharField(_("建物名等"), max_length=80, blank=True)
    latitude = models.DecimalField(
        _("緯度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("20")), MaxValueValidator(Decimal("46"))],
    )
    longitude = models.DecimalField(
        _("経度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("122")), MaxValueValidator(Decimal("154"))],
    )
    phone = models.CharField(_("電話番号"), max_length=11, blank=True)
    open_weekdays = models.CharField(
        _("開館曜日"), max_length=7, default="0123456", validators=[validate_weekdays], help_text=_("0=月 … 6=日")
    )
    opens_at = models.TimeField(_("開館時刻"), default=datetime.time(9))
    closes_at = models.TimeField(_("閉館時刻"), default=datetime.time(21))
    closed_on_holidays = models.BooleanField(_("国民の祝日は休館"), default=True)
    closed_year_end = models.BooleanField(_("年末年始（12月29日〜1月3日）は休館"), default=True)
    barrier_free = models.TextField(_("バリアフリー情報"), max_length=2000, blank=True)
    barrier_free_en = models.TextField(_("バリアフリー情報（英語）"), max_length=2000, blank=True)
    access = models.TextField(_("交通アクセス"), max_length=2000, blank=True)
    access_en = models.TextField(_("交通アクセス（英語）"), max_length=2000, blank=True)
    parking = models.CharField(_("駐車場"), max_length=200, blank=True)
    description = models.TextField(_("説明"), max_length=4000, blank=True)
    description_en = models.TextField(_("説明（英語）"), max_length=4000, blank=True)
    nonresident_multiplier = models.DecimalField(
        _("市外利用の倍率"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))],
    )
    commercial_multiplier = models.DecimalField(
        _("営利利用の倍率"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))],
    )
    refund_table = models.CharField(
        _("キャンセル時の返金表"),
        max_length=200,
        default="7:100,1:50,0:0",
        validators=[validate_refund_table],
        help_text=_("「利用日の何日前まで:返金率%」をカンマ区切りで。例 7:100,1:50,0:0"),
    )
    booking_window_days = models.PositiveSmallIntegerField(
        _("何日先まで予約できるか"), default=60, validators=[MinValueValidator(1), MaxValueValidator(400)]
    )
    is_published = models.BooleanField(_("公開"), default=True)
    online_booking = models.BooleanField(_("オンライン予約を受け付ける"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_kana", "pk"]
        verbose_name = _("施設")
        verbose_name_plural = _("施設")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="facility_unique_slug"),
            models.CheckConstraint(condition=Q(opens_at__lt=models.F("closes_at")), name="facility_opens_before_close"),
            models.CheckConstraint(
                condition=Q(nonresident_multiplier__gte=1) & Q(commercial_multiplier__gte=1),
                name="facility_multipliers_at_least_one",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "kind"], name="facility_kind_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def address(self) -> str:
        return "".join([self.address_prefecture, self.address_city, self.address_town, self.address_rest]) + (
            f" {self.address_building}" if self.address_building else ""
        )

    @property
    def display_barrier_free(self) -> str:
        return localized(self.barrier_free, self.barrier_free_en)

    @property
    def display_access(self) -> str:
        return localized(self.access, self.access_en)

    @property
    def display_description(self) -> str:
        return localized(self.description, self.description_en)

    @property
    def open_weekday_labels(self) -> list[str]:
        return [str(WEEKDAY_LABELS[int(d)]) for d in sorted(self.open_weekdays)]

    @property
    def refund_rows(self) -> list[tuple[int, int]]:
        return parse_refund_table(self.refund_table)


PHOTO_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")


class FacilityPhoto(MunicipalityOwned):
    """A photo on a facility's public page. On upload the image was decoded and encoded again (upright, without
    EXIF/GPS or any other metadata) and scaled down to a web size; the bytes live in the default storage under
    a random name and are served by `facilities:photo` only while the facility is published."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="photos", verbose_name=_("施設"))
    storage_name = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    alt = models.CharField(
        _("写真の説明（代替テキスト）"),
        max_length=200,
        help_text=_("目の不自由な方に読み上げられます。写っているものを具体的に。例：「2階 大会議室。机30台と演台」"),
    )
    alt_en = models.CharField(_("写真の説明（英語）"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["facility", "position", "pk"]
        verbose_name = _("施設の写真")
        verbose_name_plural = _("施設の写真")
        constraints = [
            models.CheckConstraint(condition=~Q(alt=""), name="facility_photo_has_alt"),
            models.CheckConstraint(condition=Q(content_type__in=PHOTO_CONTENT_TYPES), name="facility_photo_type"),
            models.CheckConstraint(condition=Q(width__gt=0) & Q(height__gt=0), name="facility_photo_has_size"),
        ]

    def __str__(self) -> str:
        return self.alt

    @property
    def display_alt(self) -> str:
        return localized(self.alt, self.alt_en)


class UnitKind(models.TextChoices):
    SLOTS = "slots", _("区分（午前・午後・夜間など）")
    HOURLY = "hourly", _("1時間単位")


class Room(MunicipalityOwned):
    """A room, hall or field of a facility; what residents book."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("施設"))
    name = models.CharField(_("部屋・区画名"), max_length=100)
    name_en = models.CharField(_("部屋・区画名（英語）"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("定員"), validators=[MinValueValidator(1), MaxValueValidator(100000)])
    area_m2 = models.PositiveIntegerField(_("面積（㎡）"), null=True, blank=True)
    equipment_note = models.CharField(_("備え付けの設備"), max_length=400, blank=True)
    unit_kind = models.CharField(_("予約の単位"), max_length=10, choices=UnitKind.choices, default=UnitKind.SLOTS)
    sort_order = models.PositiveSmallIntegerField(_("並び順"), default=0)
    is_bookable = models.BooleanField(_("予約を受け付ける"), default=True)

    class Meta:
        ordering = ["facility", "sort_order", "pk"]
        verbose_name = _("部屋・区画")
        verbose_name_plural = _("部屋・区画")
        constraints = [models.UniqueConstraint(fields=["facility", "name"], name="room_unique_name")]

    def __str__(self) -> str:
        return f"{self.facility.name} {self.name}"

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)


class TimeSlot(MunicipalityOwned):
    """One bookable unit of a room: a fixed slot (午前 9–12) or one hour of an hourly room, with its fee."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="slots", verbose_name=_("部屋・区画"))
    label = models.CharField(_("区分名"), max_length=40)
    label_en = models.CharField(_("区分名（英語）"), max_length=80, blank=True)
    starts_at = models.TimeField(_("開始時刻"))
    ends_at = models.TimeField(_("終了時刻"))
    fee = models.PositiveIntegerField(_("使用料（円）"), validators=[MaxValueValidator(10_000_000)])
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["room", "starts_at", "pk"]
        verbose_name = _("予約の区分")
        verbose_name_plural = _("予約の区分")
        constraints = [
            models.UniqueConstraint(fields=["room", "starts_at"], name="slot_unique_start"),
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="slot_starts_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    @property
    def display_label(self) -> str:
        return localized(self.label, self.label_en)


class Equipment(MunicipalityOwned):
    """附帯設備 (lighting, piano, projector…): a charge per booking."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="equipment", verbose_name=_("施設"))
    name = models.CharField(_("設備名"), max_length=60)
    name_en = models.CharField(_("設備名（英語）"), max_length=120, blank=True)
    fee = models.PositiveIntegerField(_("料金（円・1回）"), validators=[MaxValueValidator(1_000_000)])
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["facility", "name"]
        verbose_name = _("附帯設備")
        verbose_name_plural = _("附帯設備")
        constraints = [models.UniqueConstraint(fields=["facility", "name"], name="equipment_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)


class Reduction(MunicipalityOwned):
    """減免区分 of the municipality's 条例: a percentage off the room fee (never off equipment charges)."""

    name = models.CharField(_("減免区分"), max_length=80)
    name_en = models.CharField(_("減免区分（英語）"), max_length=160, blank=True)
    percent = models.PositiveSmallIntegerField(
        _("減免率（%）"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    requires_approval = models.BooleanField(_("職員の承認が必要"), default=True)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["-percent", "name"]
        verbose_name = _("減免区分")
        verbose_name_plural = _("減免区分")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="reduction_unique_name"),
            models.CheckConstraint(condition=Q(percent__gte=1, percent__lte=100), name="reduction_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.percent}%）"

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)


class RegistrationKind(models.TextChoices):
    INDIVIDUAL = "individual", _("個人")
    GROUP = "group", _("団体")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("審査中")
    APPROVED = "approved", _("承認済み")
    REJECTED = "rejected", _("不承認")
    SUSPENDED = "suspended", _("利用停止")


def normalise_group_name(value: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", value).casefold().split())


class Registration(MunicipalityOwned):
    """利用者登録 (individual) or 団体登録 (group), approved by staff before the holder may book."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facility_registrations")
    kind = models.CharField(_("登録の種類"), max_length=12, choices=RegistrationKind.choices)
    status = models.CharField(
        _("状態"), max_length=12, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING
    )
    name = models.CharField(_("氏名または団体名"), max_length=100)
    name_kana = models.CharField(_("フリガナ"), max_length=200)
    group_key = models.CharField(max_length=200, blank=True, editable=False)  # normalised group name
    representative = models.CharField(_("代表者氏名"), max_length=100, blank=True)
    members_count = models.PositiveIntegerField(_("構成員数"), default=1, validators=[MaxValueValidator(100000)])
    resident_members_count = models.PositiveIntegerField(
        _("うち市内在住・在勤・在学の人数"), default=1, validators=[MaxValueValidator(100000)]
    )
    is_resident = models.BooleanField(_("市内の利用者として扱う"), default=True, editable=False)
    phone = models.CharField(_("電話番号"), max_length=11)
    address = models.CharField(_("住所"), max_length=200)
    no_show_points = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal("0"))
    status_note = models.CharField(_("理由・メモ"), max_length=400, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    ical_token = models.CharField(max_length=64, default=_token, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("利用者登録")
        verbose_name_plural = _("利用者登録")
        constraints = [
            # One individual registration per person and municipality.
            models.UniqueConstraint(
                fields=["municipality", "user"],
                condition=Q(kind="individual"),
                name="registration_one_individual_per_user",
            ),
            # One registration per group (by normalised name), unless it was refused.
            models.UniqueConstraint(
                fields=["municipality", "group_key"],
                condition=Q(kind="group") & ~Q(status="rejected"),
                name="registration_one_per_group",
            ),
            models.CheckConstraint(
                condition=Q(resident_members_count__lte=models.F("members_count")),
                name="registration_residents_within_members",
            ),
            models.CheckConstraint(condition=Q(members_count__gte=1), name="registration_members_positive"),
            models.CheckConstraint(
                condition=Q(kind="individual") | (~Q(representative="") & ~Q(group_key="")),
                name="registration_group_has_representative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def can_book(self) -> bool:
        return self.status == RegistrationStatus.APPROVED


class BookingStatus(models.TextChoices):
    PROVISIONAL = "provisional", _("仮予約（お支払い待ち）")
    CONFIRMED = "confirmed", _("予約確定")
    CANCELLED = "cancelled", _("取消し")
    EXPIRED = "expired", _("期限切れ（未払い）")
    NO_SHOW = "no_show", _("無断キャンセル")
    BLOCKED = "blocked", _("利用不可（職員が確保）")


ACTIVE_STATUSES = (BookingStatus.PROVISIONAL, BookingStatus.CONFIRMED, BookingStatus.BLOCKED)


class BookingSource(models.TextChoices):
    FIRST_COME = "first_come", _("先着順")
    LOTTERY = "lottery", _("抽選")
    STAFF = "staff", _("職員")


class BookingChannel(models.TextChoices):
    ONLINE = "online", _("オンライン")
    COUNTER = "counter", _("窓口")
    PHONE = "phone", _("電話")


class PaymentMethod(models.TextChoices):
    NONE = "", _("未払い")
    FREE = "free", _("支払い不要")
    COUNTER = "counter", _("窓口払い")
    ONLINE = "online", _("オンライン決済")


class ReductionStatus(models.TextChoices):
    NONE = "", _("なし")
    PENDING = "pending", _("承認待ち")
    APPROVED = "approved", _("承認")
    REJECTED = "rejected", _("不承認")


class Booking(MunicipalityOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("予約番号"), max_length=30)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("部屋・区画"))
    date = models.DateField(_("利用日"))
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(_("状態"), max_length=12, choices=BookingStatus.choices)
    source = models.CharField(_("受付方法"), max_length=12, choices=BookingSource.choices)
    channel = models.CharField(_("窓口"), max_length=10, choices=BookingChannel.choices, default=BookingChannel.ONLINE)
    purpose = models.CharField(_("利用目的"), max_length=200, blank=True)
    attendees = models.PositiveIntegerField(_("利用人数"), default=1)
    is_commercial = models.BooleanField(_("営利目的の利用"), default=False)
    is_nonresident = models.BooleanField(default=False, editable=False)
    equipment = models.ManyToManyField(Equipment, blank=True, related_name="+", verbose_name=_("附帯設備"))
    reduction = models.ForeignKey(
        Reduction, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("減免")
    )
    reduction_status = models.CharField(max_length=10, choices=ReductionStatus.choices, blank=True, default="")
    reduction_reason = models.CharField(_("減免の理由"), max_length=400, blank=True)
    fee_room = models.PositiveIntegerField(default=0)  # after multipliers, before 減免
    fee_reduction = models.PositiveIntegerField(default=0)
    fee_equipment = models.PositiveIntegerField(default=0)
    fee_total = models.PositiveIntegerField(default=0)
    payment_due_at = models.DateTimeField(null=True, blank=True)
    payment_method = models.CharField(max_length=10, choices=PaymentMethod.choices, blank=True, default="")
    payment_reference = models.CharField(max_length=100, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refund_amount = models.PositiveIntegerField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    staff_note = models.CharField(_("職員メモ"), max_length=400, blank=True)
    checkin_token = models.CharField(max_length=64, default=_token, unique=True, editable=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    request_token = models.CharField(max_length=64, blank=True, editable=False)  # one-time form token (HTML)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("予約")
        verbose_name_plural = _("予約")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"], name="booking_unique_number"),
            models.UniqueConstraint(
                fields=["municipality", "created_by", "request_token"],
                condition=~Q(request_token=""),
                name="booking_request_token_once",
            ),
            models.CheckConstraint(
                condition=Q(status="blocked") | Q(registration__isnull=False), name="booking_has_registration"
            ),
            models.CheckConstraint(
                condition=Q(fee_total=models.F("fee_room") - models.F("fee_reduction") + models.F("fee_equipment")),
                name="booking_fee_total_adds_up",
            ),
            models.CheckConstraint(
                condition=~Q(status="provisional") | Q(payment_due_at__isnull=False),
                name="booking_provisional_has_deadline",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "date"], name="booking_date_idx"),
            models.Index(fields=["status", "payment_due_at"], name="booking_due_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class BookedUnit(MunicipalityOwned):
    """One unit a booking holds. Active rows are unique per (room, date, slot): the double-booking guard."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="units")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    slot = models.ForeignKey(TimeSlot, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    starts = models.DateTimeField()
    ends = models.DateTimeField()
    fee = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["date", "starts"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "date", "slot"], condition=Q(is_active=True), name="booked_unit_no_double_booking"
            ),
            models.CheckConstraint(condition=Q(starts__lt=models.F("ends")), name="booked_unit_starts_before_end"),
        ]
        indexes = [models.Index(fields=["room", "date"], name="booked_unit_room_date_idx")]
