"""The procedure catalogue (手続の一覧): what a resident can apply for, what it costs and what to prepare."""

from __future__ import annotations

import datetime
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from madoguchi.core.models import Department, MunicipalityOwned, localized, slug_validator


class Category(models.TextChoices):
    CERTIFICATES = "certificates", _("証明書")
    CHILDCARE = "childcare", _("子育て")
    NURSING_CARE = "nursing_care", _("介護・福祉")
    TAX = "tax", _("税金")
    LIVING = "living", _("くらし・住まい")
    ENVIRONMENT = "environment", _("ごみ・環境")
    DISASTER = "disaster", _("防災・災害")
    CULTURE = "culture", _("イベント・講座")
    PETS = "pets", _("犬・ペット")
    SURVEY = "survey", _("アンケート")


class LifeEvent(models.TextChoices):
    PREGNANCY = "pregnancy", _("妊娠")
    BIRTH = "birth", _("出生・子育て")
    MOVING = "moving", _("引越し")
    MARRIAGE = "marriage", _("結婚・離婚")
    CARE = "care", _("介護")
    DEATH = "death", _("死亡・相続")
    TAX = "tax", _("税金")
    HOUSING = "housing", _("住まい")
    GARBAGE = "garbage", _("ごみ")
    PETS = "pets", _("犬・ペット")


class Applicant(models.TextChoices):
    SELF = "self", _("本人")
    HOUSEHOLD = "household", _("同一世帯の方")
    AGENT = "agent", _("代理人（委任状が必要）")


class IdentityLevel(models.TextChoices):
    NONE = "none", _("本人確認なし")
    ACCOUNT = "account", _("アカウントでログイン")
    MY_NUMBER_CARD = "my_number_card", _("マイナンバーカードで本人確認")


class Channel(models.TextChoices):
    ONLINE = "online", _("オンラインのみ")
    COUNTER = "counter", _("窓口のみ")
    BOTH = "both", _("オンラインと窓口")


class Delivery(models.TextChoices):
    DOWNLOAD = "download", _("ダウンロード")
    POST = "post", _("郵送")
    COUNTER = "counter", _("窓口で受け取り")


class Fee(MunicipalityOwned):
    """One line of a municipality's fee table (手数料条例), e.g. 住民票の写し 300円 per copy."""

    code = models.CharField(_("コード"), max_length=40, validators=[slug_validator])
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英語名"), max_length=150, blank=True)
    amount = models.PositiveIntegerField(_("金額（円）"))
    unit = models.CharField(_("単位"), max_length=20, default="1通")
    unit_en = models.CharField(_("単位（英語）"), max_length=30, default="per copy")

    class Meta:
        ordering = ["code"]
        verbose_name = _("手数料")
        verbose_name_plural = _("手数料")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="fee_code_unique_per_municipality"),
            models.CheckConstraint(condition=models.Q(amount__lte=1_000_000), name="fee_amount_reasonable"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.amount}円"

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def display_unit(self) -> str:
        return localized(self.unit, self.unit_en)


# Path segments under /<slug>/procedures/ that the module uses itself.
RESERVED_PROCEDURE_SLUGS = frozenset({"mine", "apply"})


def validate_procedure_slug(value: str) -> None:
    if value in RESERVED_PROCEDURE_SLUGS:
        from django.core.exceptions import ValidationError

        raise ValidationError(_("「%(slug)s」はシステムで使われているため、URL名にできません。") % {"slug": value})


class Procedure(MunicipalityOwned):
    """A procedure (申請・届出) a municipality offers, with everything a resident needs to know before starting."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.CharField(_("URL名"), max_length=60, validators=[slug_validator, validate_procedure_slug])
    preset_key = models.CharField(_("ひな形"), max_length=60, blank=True)
    name = models.CharField(_("手続名"), max_length=120)
    name_kana = models.CharField(_("手続名（かな）"), max_length=240)
    name_en = models.CharField(_("英語名"), max_length=200, blank=True)
    summary = models.TextField(_("概要"), max_length=2000)
    summary_en = models.TextField(_("概要（英語）"), max_length=3000, blank=True)
    category = models.CharField(_("分類"), max_length=20, choices=Category.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("担当課")
    )
    legal_basis = models.CharField(_("根拠法令"), max_length=300, blank=True)
    applicants = models.JSONField(_("申請できる方"), default=list)
    identity_level = models.CharField(
        _("本人確認"), max_length=20, choices=IdentityLevel.choices, default=IdentityLevel.ACCOUNT
    )
    channel = models.CharField(_("申請方法"), max_length=10, choices=Channel.choices, default=Channel.BOTH)
    delivery_methods = models.JSONField(_("結果の受け取り方"), default=list, blank=True)
    fees = models.ManyToManyField(Fee, blank=True, related_name="procedures", verbose_name=_("手数料"))
    processing_days = models.PositiveSmallIntegerField(_("標準処理日数"), default=0)
    preparation = models.TextField(_("用意するもの"), max_length=2000, blank=True)
    preparation_en = models.TextField(_("用意するもの（英語）"), max_length=3000, blank=True)
    is_published = models.BooleanField(_("公開"), default=False)
    # Column keys of the export for core systems, in order (procedures/export.py); empty = every column.
    export_columns = models.JSONField(_("書き出す列"), default=list, blank=True)
    # Name, kana, summary and English name folded (NFKC, katakana→hiragana, lower case) for partial-word search.
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    PERSONAL_DATA_FIELDS: ClassVar[tuple[str, ...]] = ()

    class Meta:
        ordering = ["name_kana"]
        verbose_name = _("手続")
        verbose_name_plural = _("手続")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="procedure_slug_unique_per_municipality"),
            models.UniqueConstraint(
                fields=["municipality", "preset_key"],
                condition=~models.Q(preset_key=""),
                name="procedure_preset_once_per_municipality",
            ),
            models.CheckConstraint(condition=models.Q(processing_days__lte=365), name="procedure_processing_days_max"),
        ]
        indexes = [models.Index(fields=["municipality", "is_published", "category"], name="procedure_catalogue")]

    def __str__(self) -> str:
        return self.name

    def _localized(self, japanese: str, english: str) -> str:
        return localized(japanese, english)

    @property
    def display_name(self) -> str:
        return self._localized(self.name, self.name_en)

    @property
    def display_summary(self) -> str:
        return self._localized(self.summary, self.summary_en)

    @property
    def display_preparation(self) -> str:
        return self._localized(self.preparation, self.preparation_en)

    def applicant_labels(self) -> list[str]:
        labels = dict(Applicant.choices)
        return [str(labels[key]) for key in self.applicants if key in labels]

    def delivery_labels(self) -> list[str]:
        labels = dict(Delivery.choices)
        return [str(labels[key]) for key in self.delivery_methods if key in labels]


class ProcedureLifeEvent(models.Model):
    """A life event a procedure belongs to (one procedure, several events), for browsing by ライフイベント."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="life_event_links")
    event = models.CharField(max_length=20, choices=LifeEvent.choices)

    objects = ScopedManager(municipality="procedure__municipality")

    class Meta:
        ordering = ["event"]
        constraints = [models.UniqueConstraint(fields=["procedure", "event"], name="procedure_life_event_unique")]

    def __str__(self) -> str:
        return f"{self.procedure_id}:{self.event}"


class RequiredAttachment(models.Model):
    """A document to attach (添付書類), with when it is needed (e.g. 代理人の場合のみ)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("書類名"), max_length=120)
    name_en = models.CharField(_("書類名（英語）"), max_length=200, blank=True)
    condition = models.CharField(_("必要な場合"), max_length=200, blank=True)
    condition_en = models.CharField(_("必要な場合（英語）"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager(municipality="procedure__municipality")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("添付書類")
        verbose_name_plural = _("添付書類")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def display_condition(self) -> str:
        return localized(self.condition, self.condition_en)


class FormVersion(models.Model):
    """One version of a procedure's form definition. Submissions keep the version they were made with; a new
    version is published while the live one keeps working (then the old one retires)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        LIVE = "live", _("公開中")
        RETIRED = "retired", _("公開終了")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="form_versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    definition = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(municipality="procedure__municipality")

    class Meta:
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="form_version_number_unique"),
            models.UniqueConstraint(
                fields=["procedure"], condition=models.Q(status="live"), name="form_version_one_live_per_procedure"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id} v{self.number} ({self.status})"


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    SUBMITTED = "submitted", _("申請済")
    ACCEPTED = "accepted", _("受付")
    IN_REVIEW = "in_review", _("審査中")
    CORRECTION_REQUESTED = "correction_requested", _("補正依頼")
    COMPLETED = "completed", _("完了")
    REJECTED = "rejected", _("却下")
    WITHDRAWN = "withdrawn", _("取下げ")


# Staff moves an application along these edges; the applicant may withdraw while it is still open, and
# answering a correction request sends it back to review. Everything else is refused.
STAFF_TRANSITIONS: dict[str, frozenset[str]] = {
    SubmissionStatus.SUBMITTED: frozenset({SubmissionStatus.ACCEPTED, SubmissionStatus.REJECTED}),
    SubmissionStatus.ACCEPTED: frozenset(
        {SubmissionStatus.IN_REVIEW, SubmissionStatus.CORRECTION_REQUESTED, SubmissionStatus.REJECTED}
    ),
    SubmissionStatus.IN_REVIEW: frozenset(
        {SubmissionStatus.CORRECTION_REQUESTED, SubmissionStatus.COMPLETED, SubmissionStatus.REJECTED}
    ),
    SubmissionStatus.CORRECTION_REQUESTED: frozenset({SubmissionStatus.REJECTED}),
}
WITHDRAWABLE = frozenset(
    {
        SubmissionStatus.SUBMITTED,
        SubmissionStatus.ACCEPTED,
        SubmissionStatus.IN_REVIEW,
        SubmissionStatus.CORRECTION_REQUESTED,
    }
)


class ReceiptCounter(MunicipalityOwned):
    """The last receipt number issued in a municipality in one 年度 (fiscal year). Incremented under a row
    lock, so numbers are unique and gap-free however many applications arrive at once."""

    fiscal_year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "fiscal_year"], name="receipt_counter_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}:{self.fiscal_year}:{self.last_number}"


class Submission(MunicipalityOwned):
    """An application (申請) to a procedure, from draft to completion. The answers follow the form version it
    was made with; the receipt number (e.g. HK-R8-000123) is issued on submission and read over the phone."""

    PERSONAL_DATA_FIELDS: ClassVar[tuple[str, ...]] = ("answers", "search_text")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    receipt_number = models.CharField(_("受付番号"), max_length=20, blank=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="submissions")
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="submissions")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    status = models.CharField(
        _("状態"), max_length=24, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT
    )
    answers = models.JSONField(_("回答"), default=dict, blank=True)
    fee_total = models.PositiveIntegerField(_("手数料（円）"), default=0)
    # Fields the applicant must correct after a correction request (補正依頼); only these are editable.
    correction_fields = models.JSONField(default=list, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_submissions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Receipt number, applicant e-mail and every typed answer, folded like the catalogue search (width, case,
    # kana), so counter staff find an application by 氏名, フリガナ, 住所 or phone. Personal data, like answers.
    search_text = models.TextField(editable=False, default="")
    # When the applicant was told that this draft will be deleted; cleared when they come back to it.
    expiry_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        verbose_name = _("申請")
        verbose_name_plural = _("申請")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "receipt_number"],
                condition=~models.Q(receipt_number=""),
                name="submission_receipt_unique_per_municipality",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | ~models.Q(receipt_number=""),
                name="submission_has_receipt_once_submitted",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[choice.value for choice in SubmissionStatus]),
                name="submission_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "department", "status", "-submitted_at"], name="submission_inbox"),
            models.Index(fields=["applicant", "-created_at"], name="submission_mine"),
            # The export's keyset order: one procedure's applications by (submitted_at, id).
            models.Index(fields=["procedure", "submitted_at", "id"], name="submission_export"),
        ]

    def __str__(self) -> str:
        return self.receipt_number or f"draft {self.public_id}"

    @property
    def draft_expires_on(self) -> datetime.date | None:
        """The day a draft is deleted if nobody comes back to it (settings.PROCEDURE_DRAFT_RETENTION_DAYS)."""
        if self.status != SubmissionStatus.DRAFT or self.updated_at is None:
            return None
        last = timezone.localtime(self.updated_at).date()
        return last + datetime.timedelta(days=settings.PROCEDURE_DRAFT_RETENTION_DAYS)


class SubmissionEvent(models.Model):
    """The history of an application: status changes, notes, messages and correction requests."""

    class Kind(models.TextChoices):
        STATUS = "status", _("状態の変更")
        NOTE = "note", _("内部メモ")
        MESSAGE_TO_APPLICANT = "message_to_applicant", _("申請者へのメッセージ")
        MESSAGE_FROM_APPLICANT = "message_from_applicant", _("申請者からのメッセージ")
        ASSIGNMENT = "assignment", _("担当者の変更")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who acted when it was not a user account (another system's API token: "API: 基幹系連携"); kept as
    # text so the history still says it after the token is deleted.
    actor_label = models.CharField(max_length=120, blank=True)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    text = models.TextField(max_length=5000, blank=True)
    # Internal events (notes, assignments) are never shown to the applicant.
    internal = models.BooleanField(default=False)
    occurred_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(municipality="submission__municipality")

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.submission_id}:{self.kind}"

    @property
    def actor_name(self) -> str:
        """Who acted, for staff: the account's name, else the label of the system that acted."""
        return self.actor.display_name if self.actor is not None else self.actor_label

    @property
    def from_status_label(self) -> str:
        return str(SubmissionStatus(self.from_status).label) if self.from_status in SubmissionStatus.values else ""

    @property
    def to_status_label(self) -> str:
        return str(SubmissionStatus(self.to_status).label) if self.to_status in SubmissionStatus.values else ""


class FilePurpose(models.TextChoices):
    ATTACHMENT = "attachment", _("申請者の添付ファイル")
    RESULT = "result", _("交付する結果の文書")


class SubmissionFile(MunicipalityOwned):
    """A file kept with an application: an attachment the applicant uploaded for a file field (its answer
    holds {"name", "size", "content_type", "ref", "sha256"} with ref = public_id), or a result document staff
    issued (結果の交付). The bytes live in the private "procedure_files" storage under a random name; when a
    row goes, its stored object is deleted once the transaction commits (procedures/files.py)."""

    PERSONAL_DATA_FIELDS: ClassVar[tuple[str, ...]] = ("original_name", "storage_name")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    # The answer's place: "<field>" or, inside a repeated group, "<group>.<n>.<member>"; empty for results.
    field_path = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=20, choices=FilePurpose.choices)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    original_name = models.CharField(_("ファイル名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("申請のファイル")
        verbose_name_plural = _("申請のファイル")
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="submission_file_not_empty"),
            models.CheckConstraint(
                condition=models.Q(purpose__in=[choice.value for choice in FilePurpose]),
                name="submission_file_purpose_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(purpose="attachment") | ~models.Q(field_path=""),
                name="submission_file_attachment_has_field",
            ),
        ]
        indexes = [models.Index(fields=["submission", "purpose"], name="submission_file_by_purpose")]

    def __str__(self) -> str:
        return f"{self.submission_id}:{self.purpose}:{self.public_id}"
