"""抽選予約: lottery rounds of a facility, the units on offer, residents' entries with ranked preferences,
and the wins that became 仮予約 through the facilities services.

Limits live in the database where a constraint can hold them: an entry's preference ranks are 1…10 and
unique, one offer appears once per entry, an offer is won at most once, an entry wins at most once, and a
registration's active entries in a round carry distinct ordinals (the service hands out ordinals up to the
round's limit, so two concurrent entries can never both take the last place).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import MunicipalityOwned, localized
from madoguchi.facilities.models import Booking, Facility, Registration, Room, TimeSlot

MAX_PREFERENCES = 10
MAX_ENTRIES = 20


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("準備中")
    OPEN = "open", _("受付中")
    CLOSED = "closed", _("受付終了")
    DRAWN = "drawn", _("抽選済み")
    PUBLISHED = "published", _("結果公開")


class LotteryRound(MunicipalityOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+", verbose_name=_("施設"))
    rooms = models.ManyToManyField(Room, related_name="+", verbose_name=_("対象の部屋・区画"))
    title = models.CharField(_("名称"), max_length=100)
    title_en = models.CharField(_("名称（英語）"), max_length=200, blank=True)
    applies_from = models.DateTimeField(_("申込開始"))
    applies_until = models.DateTimeField(_("申込締切"))
    use_from = models.DateField(_("利用期間の初日"))
    use_until = models.DateField(_("利用期間の末日"))
    max_entries = models.PositiveSmallIntegerField(
        _("1登録あたりの申込数の上限"), default=3, validators=[MinValueValidator(1), MaxValueValidator(MAX_ENTRIES)]
    )
    max_wins = models.PositiveSmallIntegerField(
        _("1登録あたりの当選数の上限"), default=2, validators=[MinValueValidator(1), MaxValueValidator(MAX_ENTRIES)]
    )
    max_preferences = models.PositiveSmallIntegerField(
        _("希望の数（第何希望まで）"), default=3, validators=[MinValueValidator(1), MaxValueValidator(MAX_PREFERENCES)]
    )
    payment_days = models.PositiveSmallIntegerField(
        _("当選後のお支払い期限（日）"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    status = models.CharField(_("状態"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    seed_encrypted = models.TextField(blank=True, editable=False)  # until published: never shown
    commitment = models.CharField(max_length=64, blank=True, editable=False)  # SHA-256(seed), public once open
    seed_revealed = models.CharField(max_length=64, blank=True, editable=False)  # hex, set when published
    drawn_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-applies_from", "pk"]
        verbose_name = _("抽選")
        verbose_name_plural = _("抽選")
        constraints = [
            models.CheckConstraint(
                condition=Q(applies_from__lt=models.F("applies_until")), name="lottery_window_ordered"
            ),
            models.CheckConstraint(condition=Q(use_from__lte=models.F("use_until")), name="lottery_use_ordered"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "closed", "drawn", "published"]), name="lottery_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(max_entries__gte=1, max_entries__lte=MAX_ENTRIES)
                & Q(max_wins__gte=1, max_wins__lte=MAX_ENTRIES)
                & Q(max_preferences__gte=1, max_preferences__lte=MAX_PREFERENCES),
                name="lottery_limits_in_range",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | (~Q(commitment="") & ~Q(seed_encrypted="")),
                name="lottery_open_has_commitment",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | ~Q(seed_revealed=""), name="lottery_published_reveals_seed"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return localized(self.title, self.title_en)


class LotteryOffer(MunicipalityOwned):
    """One unit (room, day, slot) on offer in a round; `hold` is the facilities block keeping it off
    first-come booking until the draw."""

    round = models.ForeignKey(LotteryRound, on_delete=models.CASCADE, related_name="offers")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    slot = models.ForeignKey(TimeSlot, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    hold = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["date", "room", "slot__starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "room", "date", "slot"], name="lottery_offer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.room.name} {self.slot.label}"

    @property
    def code(self) -> str:
        """The offer's id in the published result: stable and readable (date, room, start time)."""
        return (
            f"{self.date.isoformat()}/{self.room.public_id.hex[:8]}/{self.slot.starts_at:%H%M}"  # = services.offer_code
        )


class EntryStatus(models.TextChoices):
    ACTIVE = "active", _("申込中")
    WITHDRAWN = "withdrawn", _("取下げ")
    EXCLUDED = "excluded", _("職員が除外")


class LotteryEntry(MunicipalityOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    round = models.ForeignKey(LotteryRound, on_delete=models.PROTECT, related_name="entries")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=16, editable=False)  # the published pseudonymous entry id
    holder_code = models.CharField(max_length=16, editable=False)  # the registration's pseudonym in this round
    ordinal = models.PositiveSmallIntegerField(null=True, blank=True)  # 1…max_entries while active
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.ACTIVE)
    exclusion_reason = models.CharField(_("除外の理由"), max_length=400, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request_token = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "code"], name="lottery_entry_unique_code"),
            models.UniqueConstraint(
                fields=["round", "registration", "ordinal"],
                condition=Q(status="active"),
                name="lottery_entry_ordinal_once",
            ),
            models.UniqueConstraint(
                fields=["round", "created_by", "request_token"],
                condition=~Q(request_token=""),
                name="lottery_entry_request_once",
            ),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(ordinal__gte=1, ordinal__lte=MAX_ENTRIES))
                | (~Q(status="active") & Q(ordinal__isnull=True)),
                name="lottery_entry_ordinal_when_active",
            ),
            models.CheckConstraint(
                condition=~Q(status="excluded") | ~Q(exclusion_reason=""), name="lottery_exclusion_has_reason"
            ),
        ]


class LotteryPreference(MunicipalityOwned):
    entry = models.ForeignKey(LotteryEntry, on_delete=models.CASCADE, related_name="preferences")
    offer = models.ForeignKey(LotteryOffer, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["entry", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "rank"], name="lottery_preference_rank_once"),
            models.UniqueConstraint(fields=["entry", "offer"], name="lottery_preference_offer_once"),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=MAX_PREFERENCES), name="lottery_preference_rank_range"
            ),
        ]


class LotteryWin(MunicipalityOwned):
    round = models.ForeignKey(LotteryRound, on_delete=models.PROTECT, related_name="wins")
    entry = models.OneToOneField(LotteryEntry, on_delete=models.PROTECT, related_name="win")
    offer = models.OneToOneField(LotteryOffer, on_delete=models.PROTECT, related_name="win")
    rank = models.PositiveSmallIntegerField()
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["round", "offer__date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rank__gte=1, rank__lte=MAX_PREFERENCES), name="lottery_win_rank_range"),
        ]
