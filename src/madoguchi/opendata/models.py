"""Open data catalogue: datasets (CKAN "packages"), their resources, the rows of tabular resources (the
DataStore behind datastore_search) and download counts per 年度."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Department, MunicipalityOwned, localized

# CKAN's name rule: 2–100 characters of lowercase ASCII letters, digits, "-" and "_".
NAME_PATTERN = r"^[a-z0-9_-]{2,100}$"
RESERVED_NAMES = frozenset({"new", "edit", "search"})


class License(models.TextChoices):
    CC_BY_4 = "cc-by-4.0", _("クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）")
    PDL_1 = "pdl-1.0", _("公共データ利用規約 第1.0版（PDL1.0）")


LICENSE_URLS = {
    License.CC_BY_4: "https://creativecommons.org/licenses/by/4.0/",
    License.PDL_1: "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
}


class Frequency(models.TextChoices):
    LIVE = "live", _("随時（自動更新）")
    DAILY = "daily", _("毎日")
    WEEKLY = "weekly", _("毎週")
    MONTHLY = "monthly", _("毎月")
    QUARTERLY = "quarterly", _("四半期ごと")
    YEARLY = "yearly", _("毎年")
    IRREGULAR = "irregular", _("不定期")


# Mapping to the EU frequency vocabulary (DCAT-AP dct:accrualPeriodicity).
FREQUENCY_URIS = {
    Frequency.LIVE: "http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT",
    Frequency.DAILY: "http://publications.europa.eu/resource/authority/frequency/DAILY",
    Frequency.WEEKLY: "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
    Frequency.MONTHLY: "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
    Frequency.QUARTERLY: "http://publications.europa.eu/resource/authority/frequency/QUARTERLY",
    Frequency.YEARLY: "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
    Frequency.IRREGULAR: "http://publications.europa.eu/resource/authority/frequency/IRREG",
}


class Group(models.TextChoices):
    """CKAN groups: the categories (分類) of the catalogue."""

    DISASTER = "disaster", _("防災・安全")
    HEALTH = "health", _("健康・福祉")
    CHILDCARE = "childcare", _("子育て・教育")
    FACILITIES = "facilities", _("施設")
    POPULATION = "population", _("人口・統計")
    EVENTS = "events", _("観光・イベント")
    ADMINISTRATION = "administration", _("行政・財政")


class ResourceFormat(models.TextChoices):
    CSV = "CSV", "CSV"
    XLSX = "XLSX", "XLSX"
    JSON = "JSON", "JSON"
    GEOJSON = "GeoJSON", "GeoJSON"
    PDF = "PDF", "PDF"
    URL = "URL", _("外部リンク")


TABULAR_FORMATS = frozenset({ResourceFormat.CSV, ResourceFormat.XLSX})


class Dataset(MunicipalityOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("識別名"), max_length=100)
    title = models.CharField(_("タイトル"), max_length=200)
    title_en = models.CharField(_("タイトル（英語）"), max_length=200, blank=True)
    notes = models.TextField(_("説明"), max_length=5000)
    notes_en = models.TextField(_("説明（英語）"), max_length=5000, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("担当課")
    )
    tags = models.JSONField(_("タグ"), default=list, blank=True)
    groups = models.JSONField(_("分類"), default=list, blank=True)
    license_id = models.CharField(_("ライセンス"), max_length=20, choices=License.choices, default=License.CC_BY_4)
    frequency = models.CharField(_("更新頻度"), max_length=20, choices=Frequency.choices, default=Frequency.IRREGULAR)
    standard_number = models.CharField(_("自治体標準オープンデータセット"), max_length=2, blank=True)
    provider_key = models.CharField(_("自動生成の元データ"), max_length=80, blank=True)
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    nonconforming_published = models.BooleanField(_("標準に適合しないまま公開"), default=False)
    # Folded (core.search.fold) title, notes, tags and resource names: partial-word Japanese search.
    search_text = models.TextField(default="", blank=True, editable=False)
    # The characters and character pairs of search_text, indexed for `q` (see search_index.py).
    search_grams = models.TextField(default="", blank=True, editable=False)
    title_search = models.CharField(max_length=200, default="", blank=True, editable=False)  # folded title
    # "|a|b|" forms of the list fields and of the resource formats, for fq filters on any database.
    tags_key = models.TextField(default="", blank=True, editable=False)
    groups_key = models.TextField(default="", blank=True, editable=False)
    formats_key = models.TextField(default="", blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("データセット")
        verbose_name_plural = _("データセット")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="opendata_dataset_name_unique"),
            models.CheckConstraint(condition=Q(name__regex=NAME_PATTERN), name="opendata_dataset_name_shape"),
            models.CheckConstraint(
                condition=Q(license_id__in=[choice.value for choice in License]), name="opendata_dataset_license"
            ),
            models.CheckConstraint(
                condition=Q(standard_number="") | Q(standard_number__regex=r"^[0-9]{2}$"),
                name="opendata_dataset_standard_number",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "published_at"], name="opendata_dataset_published")]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return localized(self.title, self.title_en)

    @property
    def display_notes(self) -> str:
        return localized(self.notes, self.notes_en)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Resource(MunicipalityOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(_("名前"), max_length=200)
    description = models.TextField(_("説明"), max_length=2000, blank=True)
    format = models.CharField(_("形式"), max_length=10, choices=ResourceFormat.choices)
    url = models.URLField(_("外部URL"), max_length=500, blank=True)
    content = models.BinaryField(blank=True, default=b"", editable=False)  # non-tabular uploads (PDF, JSON…)
    filename = models.CharField(max_length=200, blank=True)
    columns = models.JSONField(default=list, blank=True)  # tabular: column names in order
    row_count = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)  # SHA-256 (hex) of the uploaded or generated file
    encoding = models.CharField(max_length=30, blank=True)
    conforms = models.BooleanField(default=True)
    problems = models.JSONField(default=list, blank=True)  # [{"row", "column", "message", "severity"}]
    error_count = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)
    last_modified = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at"]
        verbose_name = _("リソース")
        verbose_name_plural = _("リソース")
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=[choice.value for choice in ResourceFormat]), name="opendata_resource_format"
            ),
            models.CheckConstraint(condition=~Q(format="URL") | ~Q(url=""), name="opendata_resource_link_has_url"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_tabular(self) -> bool:
        return self.format in TABULAR_FORMATS


class ResourceRow(MunicipalityOwned):
    """One row of a tabular resource; `number` is CKAN's `_id` (1-based). `values` are the cells in the order
    of the resource's `columns` (a list, not a dict: a row is stored once, without repeating its column names).

    Field order matters for SQLite: the short search columns come before the JSON, so a scan for a filter
    does not read the row's overflow pages."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()
    # "\x1f<column index>\x1e<value>\x1f…" for the non-empty cells: exact `filters` by a case-sensitive
    # substring test (INSTR / STRPOS) instead of JSON extraction per row and column.
    filter_text = models.TextField(default="", blank=True)
    search_text = models.TextField(default="", blank=True)  # folded values, for `q`
    values = models.JSONField(default=list)

    class Meta:
        ordering = ["resource", "number"]
        constraints = [models.UniqueConstraint(fields=["resource", "number"], name="opendata_row_number_unique")]

    def as_dict(self, columns: list[str]) -> dict[str, str]:
        return row_dict(columns, self.values)


# Values counted in ResourceValueCount: those in at least this many rows (a rarer value is counted from its
# few rows through the cell index), at most this long (longer cells are rare filters and long index keys).
VALUE_COUNT_MIN_ROWS = 50
VALUE_COUNT_MAX_LENGTH = 200


class ResourceValueCount(MunicipalityOwned):
    """How many rows of a tabular resource hold `value` in the column at `column_index`: the `total` of a
    datastore_search filter on one column without counting the rows. Written with the rows
    (search_index.refresh_value_counts) for every value in at least VALUE_COUNT_MIN_ROWS rows, and for the
    empty value of every column (0 included: its presence says the resource's counts were made)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="value_counts")
    column_index = models.PositiveSmallIntegerField()
    value = models.CharField(max_length=VALUE_COUNT_MAX_LENGTH, blank=True)
    rows = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "column_index", "value"], name="opendata_value_count_unique"),
        ]


def row_dict(columns: list[str], values: list[str]) -> dict[str, str]:
    return {name: (values[index] if index < len(values) else "") for index, name in enumerate(columns)}


class DownloadCount(MunicipalityOwned):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="download_counts")
    fiscal_year = models.PositiveIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "fiscal_year"], name="opendata_download_count_unique"),
        ]
