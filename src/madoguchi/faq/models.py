from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Department, MunicipalityOwned, localized


class Faq(MunicipalityOwned):
    """One question and its answer (よくある質問). Residents see it only while published."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    question = models.CharField(_("質問"), max_length=200)
    question_en = models.CharField(_("質問（英語）"), max_length=300, blank=True)
    phrasings = models.TextField(
        _("言い換え"), max_length=5000, blank=True, help_text=_("住民が使いそうな別の言い方を1行に1つ書きます。")
    )
    answer = models.TextField(
        _("回答"),
        max_length=10000,
        help_text=_(
            "空行で段落を分けます。リンクは [表示する文字](/パス) または [表示する文字](https://…) と書きます。"
        ),
    )
    answer_en = models.TextField(_("回答（英語）"), max_length=10000, blank=True)
    category = models.CharField(_("分類"), max_length=60, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("担当課")
    )
    keywords = models.CharField(
        _("キーワード"), max_length=300, blank=True, help_text=_("読点またはスペースで区切ります。")
    )
    is_published = models.BooleanField(_("公開する"), default=True)
    last_reviewed_on = models.DateField(_("最終確認日"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "question", "pk"]
        verbose_name = _("よくある質問")
        verbose_name_plural = _("よくある質問")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "question"], name="faq_question_unique_per_municipality"),
            models.CheckConstraint(condition=~Q(question=""), name="faq_question_not_empty"),
            models.CheckConstraint(condition=~Q(answer=""), name="faq_answer_not_empty"),
        ]
        indexes = [models.Index(fields=["municipality", "is_published"], name="faq_published")]

    def __str__(self) -> str:
        return self.question

    @property
    def display_question(self) -> str:
        return localized(self.question, self.question_en)

    @property
    def display_answer(self) -> str:
        return localized(self.answer, self.answer_en)

    def phrasing_list(self) -> list[str]:
        return [line.strip() for line in self.phrasings.splitlines() if line.strip()]


class FaqRevision(MunicipalityOwned):
    """The content of an FAQ after each save (its edit history)."""

    faq = models.ForeignKey(Faq, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    changed_fields = models.JSONField(default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["faq", "number"], name="faq_revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="faq_revision_number_positive"),
        ]


class Synonym(MunicipalityOwned):
    """A group of words residents use for the same thing (転入, 引っ越してきた). Edited by staff."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phrases = models.CharField(
        _("同じ意味の言葉"), max_length=500, help_text=_("読点（、）またはカンマで区切って2つ以上書きます。")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["phrases", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "phrases"], name="faq_synonym_unique_per_municipality"),
            models.CheckConstraint(condition=~Q(phrases=""), name="faq_synonym_not_empty"),
        ]

    def phrase_list(self) -> list[str]:
        from .text import split_list

        return split_list(self.phrases)


class FaqIndexState(MunicipalityOwned):
    """The version of a municipality's FAQ index. Every FAQ or synonym change raises `version`; every web
    process compares it with the index it holds and rebuilds when behind. The rebuild task stores the
    tokenised FAQs (`tokens`, for `built_version`) so web processes skip the morphological analysis."""

    # New for every row, so a process never mistakes a recreated row's version for the one it cached.
    generation = models.UUIDField(default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1)
    built_version = models.PositiveIntegerField(default=0)
    tokens = models.JSONField(default=list, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality"], name="faq_index_state_one_per_municipality"),
            models.CheckConstraint(
                condition=Q(built_version__lte=models.F("version")), name="faq_index_built_le_version"
            ),
        ]


class Channel(models.TextChoices):
    WEB = "web", _("ウェブ")
    API = "api", _("API")


class Question(MunicipalityOwned):
    """One question a resident asked, as stored: e-mail addresses, phone numbers and 12-digit numbers are
    masked before it is saved. Kept for the retention the municipality sets (log_retention_days)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text = models.CharField(_("質問"), max_length=500)
    language = models.CharField(max_length=8, default="ja")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    asked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    top_faq = models.ForeignKey(Faq, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confidence = models.FloatField(default=0.0)
    answered = models.BooleanField(default=False)
    candidates = models.JSONField(default=list, blank=True)
    helpful = models.BooleanField(null=True, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    resolved_faq = models.ForeignKey(Faq, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1), name="faq_question_confidence_range"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="faq_question_text_not_empty"),
            models.CheckConstraint(condition=Q(channel__in=["web", "api"]), name="faq_question_channel_valid"),
        ]
        indexes = [models.Index(fields=["municipality", "answered", "-asked_at"], name="faq_question_misses")]
