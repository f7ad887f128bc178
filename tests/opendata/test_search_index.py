"""The search indexes behind package_search and datastore_search (opendata/search_index.py): the same answers
as an exhaustive search over the data — Japanese partial words, facets, exact DataStore filters and totals —
kept in step with every write, per municipality, on SQLite (FTS5 tables and triggers) and PostgreSQL (GIN)."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from madoguchi.core.search import fold, terms
from madoguchi.core.tenancy import municipality_scope
from madoguchi.opendata import search_index, services
from madoguchi.opendata.export import csv_bytes_for_rows
from madoguchi.opendata.models import VALUE_COUNT_MIN_ROWS, Dataset, ResourceValueCount

from ..factories import enable_module, make_department
from .conftest import make_dataset

pytestmark = pytest.mark.django_db

SEARCH = "/city-a/api/3/action/package_search"
DATASTORE = "/city-a/api/3/action/datastore_search"


def search(client, path=SEARCH, **params):
    body = client.post(path, data=json.dumps(params), content_type="application/json").json()
    assert body["success"] is True, body
    return body["result"]


def names(result):
    return sorted(item["name"] for item in result["results"])


# --- package_search ------------------------------------------------------------------------------------

CATALOGUE = [
    # name, title, notes, tags, groups, 課 (index in the departments), resource kind
    ("evacuation", "指定緊急避難場所一覧", "災害時に避難する場所です。", ["避難", "防災"], ["disaster"], 0, "csv"),
    ("shelter", "避難所一覧", "指定避難所の名称と住所。", ["避難"], ["disaster", "facilities"], 0, "pdf"),
    ("toilet", "公衆トイレ一覧", "公園と駅の公衆トイレ。", ["トイレ", "公園"], ["facilities"], 1, "csv"),
    ("park", "都市公園一覧", "市内の公園（街区公園を含む）。", ["公園"], ["facilities"], 1, "link"),
    ("aed", "AED設置箇所一覧", "AED（自動体外式除細動器）の設置場所。", ["AED", "防災"], ["health"], 2, "csv"),
    ("population", "地域・年齢別人口", "町丁目別、5歳階級別の人口。", ["人口"], ["population"], 2, "link"),
    ("events", "イベント一覧", "観光・イベント情報（2026年度）。", ["イベント", "観光"], ["events"], None, "pdf"),
    ("covid", "COVID-19 検査件数", "covid-19 の検査件数の推移。", ["健康"], ["health"], None, "csv"),
]


@pytest.fixture
def rich_catalogue(city_a, city_b):
    enable_module(city_a, "opendata")
    enable_module(city_b, "opendata")
    departments = [
        make_department(city_a, slug="bosai", name="防災危機管理課"),
        make_department(city_a, slug="toshi", name="都市計画課"),
        make_department(city_a, slug="kenko", name="健康課"),
    ]
    for name, title, notes, tags, groups, department, kind in CATALOGUE:
        dataset = make_dataset(
            city_a,
            name=name,
            title=title,
            notes=notes,
            department=departments[department] if department is not None else None,
            tags=tags,
            groups=groups,
            rows=[{"名称": title, "備考": notes}] if kind == "csv" else None,
            publish=False,
        )
        with municipality_scope(city_a):
            if kind == "pdf":
                services.resource_upload(
                    dataset=dataset,
                    actor=None,
                    name=f"{title}（PDF）",
                    description="",
                    raw=b"%PDF-1.4 x",
                    filename="a.pdf",
                )
            elif kind == "link":
                services.resource_link_add(dataset=dataset, actor=None, name="地図", url="https://example.jp/map")
            services.dataset_publish(dataset=dataset, actor=None)
    make_dataset(city_a, name="draft", title="避難訓練の下書き", tags=["避難"], publish=False)
    # City B uses the same words: none of it may appear in city A's catalogue.
    make_dataset(
        city_b,
        name="evacuation",
        title="乙市の指定緊急避難場所一覧",
        tags=["避難", "防災"],
        groups=["disaster"],
        rows=[{"名称": "乙市体育館"}],
    )
    make_dataset(city_b, name="toilet", title="乙市の公衆トイレ一覧", tags=["トイレ"], rows=[{"名称": "乙トイレ"}])
    return departments


def exhaustive(city, q="", **filters):
    """The published datasets of the city matching every folded term of q by substring (no index), and the
    exact fq filters; with the facet counts over them."""
    with scopes_disabled():
        datasets = list(Dataset.objects.filter(municipality=city, published_at__isnull=False))
        formats = {d.pk: {r.format.upper() for r in d.resources.all()} for d in datasets}
    found = [d for d in datasets if all(word in d.search_text for word in terms(q))]
    for key, value in filters.items():
        found = [
            d
            for d in found
            if (key == "tags" and value in d.tags)
            or (key == "groups" and value in d.groups)
            or (key == "res_format" and value.upper() in formats[d.pk])
            or (key == "organization" and d.department is not None and d.department.slug == value)
        ]
    facets = {
        "tags": Counter(tag for d in found for tag in set(d.tags)),
        "groups": Counter(group for d in found for group in set(d.groups)),
        "res_format": Counter(f for d in found for f in formats[d.pk]),
        "organization": Counter(d.department.slug for d in found if d.department is not None),
        "license_id": Counter(d.license_id for d in found),
    }
    return sorted(d.name for d in found), {key: dict(counts) for key, counts in facets.items()}


@pytest.mark.parametrize(
    ("q", "filters"),
    [
        ("", {}),
        ("避難", {}),  # two characters: the commonest length of a Japanese search word
        ("避", {}),  # one character
        ("緊急避難場所", {}),
        ("ひなん", {}),  # hiragana finds nothing written in kanji, as before
        ("トイレ", {}),
        ("といれ", {}),  # katakana and hiragana fold together
        ("ﾄｲﾚ", {}),  # half-width katakana too
        ("公園 トイレ", {}),
        ("aed", {}),  # ASCII, case-folded
        ("ＡＥＤ", {}),  # full-width ASCII
        ("covid-19", {}),  # a term with punctuation inside
        ("（", {}),  # punctuation only: no grams, substring test alone
        ("d（", {}),  # two characters, not both letters: grams narrow, the substring test decides
        ("所。", {}),
        ("5歳", {}),
        ("", {"tags": "避難"}),
        ("", {"tags": "公園"}),
        ("一覧", {"groups": "facilities"}),
        ("", {"res_format": "csv"}),
        ("一覧", {"organization": "bosai"}),
        ("存在しない", {}),
    ],
)
def test_search_and_facets_equal_an_exhaustive_search(client, city_a, rich_catalogue, q, filters):
    expected_names, expected_facets = exhaustive(city_a, q, **filters)
    fq = " ".join(f'{key}:"{value}"' for key, value in filters.items())
    result = search(
        client,
        q=q,
        fq=fq,
        rows=100,
        **{"facet.field": ["tags", "groups", "res_format", "organization", "license_id"], "facet.limit": -1},
    )
    assert names(result) == expected_names
    assert result["count"] == len(expected_names)
    assert result["facets"] == expected_facets


def test_japanese_partial_words_through_the_index(client, rich_catalogue):
    assert names(search(client, q="避難")) == ["evacuation", "shelter"]
    assert names(search(client, q="難場")) == ["evacuation"]  # the middle of a word
    assert names(search(client, q="トイレ")) == ["toilet"]
    assert names(search(client, q="場所 災害")) == ["evacuation"]
    assert names(search(client, q="設置箇所")) == ["aed"]
    assert names(search(client, q="避難訓練")) == []  # only in a draft


def test_rows_and_start_page_through_the_same_results(client, rich_catalogue):
    everything = search(client, q="一覧", sort="name asc", rows=100)
    paged = [
        item["name"]
        for start in range(0, 6, 2)
        for item in search(client, q="一覧", sort="name asc", rows=2, start=start)["results"]
    ]
    assert paged == [item["name"] for item in everything["results"]][:6]
    assert search(client, q="一覧", rows=0)["results"] == []
    beyond = search(client, q="一覧", start=50)
    assert beyond["results"] == [] and beyond["count"] == everything["count"]


def test_packages_of_one_response_share_labels_but_keep_their_own_fields(client, rich_catalogue):
    from django.urls import reverse

    result = search(client, q="一覧", rows=100, sort="name asc")
    by_name = {item["name"]: item for item in result["results"]}
    for name, item in by_name.items():
        assert item["url"] == "http://testserver" + reverse(
            "opendata:dataset", kwargs={"municipality_slug": "city-a", "name": name}
        )
    assert by_name["evacuation"]["organization"]["name"] == "bosai"
    assert by_name["toilet"]["organization"]["name"] == "toshi"
    assert by_name["events"]["organization"] is None and by_name["events"]["owner_org"] is None
    assert [group["title"] for group in by_name["shelter"]["groups"]] == ["防災・安全", "施設"]
    assert by_name["aed"]["license_title"] == "クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）"


def test_titles_rank_first(client, rich_catalogue):
    # 「公園」 is in the title of park only; in the notes and tags of toilet.
    assert [item["name"] for item in search(client, q="公園")["results"]] == ["park", "toilet"]


def test_other_municipalities_never_appear(client, city_b, rich_catalogue):
    for q in ("避難", "トイレ", "乙市", "指定緊急避難場所一覧"):
        result = search(client, q=q, **{"facet.field": ["tags"]})
        assert all(not item["title"].startswith("乙市") for item in result["results"])
    assert search(client, q="乙市")["count"] == 0
    b = search(client, path="/city-b/api/3/action/package_search", q="避難", **{"facet.field": ["tags"]})
    assert names(b) == ["evacuation"] and b["facets"]["tags"] == {"避難": 1, "防災": 1}
    platform = search(client, path="/api/3/action/package_search", q="公衆トイレ", **{"facet.field": ["organization"]})
    assert names(platform) == ["city-a-toilet", "city-b-toilet"]
    assert platform["facets"]["organization"] == {"city-a": 1, "city-b": 1}


def test_the_index_follows_edits_and_removals(client, city_a, rich_catalogue):
    with municipality_scope(city_a):
        park = Dataset.objects.get(name="park")
        data = {
            "name": park.name,
            "title": "緑地の一覧",
            "notes": "市内の緑地。",
            "department": park.department,
            "tags": ["緑地"],
            "groups": park.groups,
            "license_id": park.license_id,
            "frequency": park.frequency,
            "standard_number": "",
        }
        services.dataset_save(municipality=city_a, actor=None, data=data, dataset=park)
    assert search(client, q="都市公園")["count"] == 0
    assert names(search(client, q="緑地")) == ["park"]
    assert names(search(client, q="", fq="tags:緑地")) == ["park"]
    with municipality_scope(city_a):
        toilet_csv = Dataset.objects.get(name="toilet").resources.get()
        services.resource_delete(resource=toilet_csv, actor=None)
    assert search(client, q="トイレ CSV")["count"] == 0  # the resource name was part of the search text
    assert names(search(client, q="トイレ")) == ["toilet"]


def test_stored_grams_are_those_of_the_search_text(city_a, rich_catalogue):
    with municipality_scope(city_a):
        for dataset in Dataset.objects.all():
            assert dataset.search_grams == search_index.dataset_grams(dataset.search_text)
            for word in ("避難", "ｺｳｴﾝ", "covid-19"):
                if fold(word) in dataset.search_text:
                    assert set(search_index.term_grams(fold(word))) <= set(dataset.search_grams.split(" "))


def test_grams():
    assert search_index.dataset_grams("避難所 ab") == "a ab b 所 避 避難 難 難所"
    assert search_index.term_grams("避難所") == ["避難", "難所"]
    assert search_index.term_grams("避") == ["避"]
    assert search_index.term_grams("covid-19") == ["19", "co", "id", "ov", "vi"]
    assert search_index.term_grams("（・）") == []


def test_index_structures_exist_and_are_used(city_a, rich_catalogue):
    """A later migration that rebuilds these tables on SQLite drops the triggers (see migration 0002)."""
    with municipality_scope(city_a):
        narrowed = search_index.datasets_with_grams(Dataset.objects.all(), ["避難"])
        plan = narrowed.explain()
        toilet = Dataset.objects.get(name="toilet").resources.get()
        cells = search_index.rows_with_cells(toilet.rows.all(), toilet, 0, ["公衆トイレ一覧"])
        assert cells.count() == 1
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'opendata_%'")
            triggers = {name for (name,) in cursor.fetchall()}
            # External content: the check compares the index with opendata_dataset itself.
            cursor.execute("INSERT INTO opendata_dataset_grams(opendata_dataset_grams) VALUES ('integrity-check')")
            cursor.execute("INSERT INTO opendata_row_cells(opendata_row_cells) VALUES ('integrity-check')")
        assert triggers == {
            f"opendata_{table}_{event}"
            for table in ("dataset_grams", "row_cells")
            for event in ("insert", "update", "delete")
        }
        assert "opendata_dataset_grams" in plan
    else:
        assert connection.vendor == "postgresql"
        with scopes_disabled(), connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")  # a tiny table: make the planner show it can use the index
            plan = search_index.datasets_with_grams(Dataset.objects.all(), ["避難"]).explain()
            cursor.execute("RESET enable_seqscan")
        assert "opendata_dataset_gram_array" in plan  # the GIN index over the stored array (migration 0003)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT search_gram_array FROM opendata_dataset WHERE search_grams <> '' ORDER BY id LIMIT 1"
            )
            (stored,) = cursor.fetchone()
        assert stored and all(" " not in gram for gram in stored)  # kept in step by PostgreSQL itself


# --- datastore_search ----------------------------------------------------------------------------------

FREQUENT = VALUE_COUNT_MIN_ROWS + 10


def place(number):
    """設置位置 of row n: 屋外 in most rows, 公園内 in FREQUENT rows, a few rare and mixed-case values."""
    if number <= FREQUENT:
        return "公園内"
    return {FREQUENT + 1: "海岸", FREQUENT + 2: "海岸 公園", FREQUENT + 3: "Beach", FREQUENT + 4: "beach"}.get(
        number, "" if number % 7 == 0 else "屋外"
    )


ROW_COUNT = 3 * VALUE_COUNT_MIN_ROWS + 40


def table_rows(prefix):
    return [
        {
            "ID": f"{prefix}{n:04d}",
            "名称": f"トイレ{n}",
            "設置位置": place(n),
            "利用開始時間": "06:00" if n % 2 else '9"00',
        }
        for n in range(1, ROW_COUNT + 1)
    ]


@pytest.fixture
def tables(city_a, city_b):
    enable_module(city_a, "opendata")
    enable_module(city_b, "opendata")
    a = make_dataset(city_a, name="toilets", title="トイレ", rows=table_rows("A"))
    b = make_dataset(city_b, name="toilets", title="トイレ", rows=table_rows("A"))  # the same cells
    with scopes_disabled():
        return str(a.resources.get().public_id), str(b.resources.get().public_id)


def datastore(client, resource_id, path=DATASTORE, **params):
    body = client.post(path, data=json.dumps({"resource_id": resource_id, **params}), content_type="application/json")
    assert body.status_code == 200, body.content
    return body.json()["result"]


def expected_numbers(column, values):
    rows = table_rows("A")
    return [n for n, row in enumerate(rows, start=1) if row[column] in values]


@pytest.mark.parametrize(
    "values",
    [
        ["公園内"],  # frequent: total from the value counts, page by walking the rows
        ["屋外"],
        ["海岸"],  # rare: counted from its rows, page from the index; "海岸 公園" is not it
        ["海岸 公園"],
        ["Beach"],  # case-sensitive although the SQLite index folds case
        ["beach"],
        [""],  # empty cells
        ["公園内", "海岸", "存在しない"],  # frequent and rare together
        ["海岸", "Beach"],
        ["存在しない"],
    ],
)
@pytest.mark.parametrize(("offset", "limit"), [(0, 100), (0, 5), (40, 30), (500, 10)])
def test_filters_equal_an_exhaustive_filter(client, tables, values, offset, limit):
    wanted = expected_numbers("設置位置", values)
    result = datastore(client, tables[0], filters={"設置位置": values}, offset=offset, limit=limit)
    assert result["total"] == len(wanted)
    assert [record["_id"] for record in result["records"]] == wanted[offset : offset + limit]
    assert all(record["設置位置"] in values for record in result["records"])


def test_sorted_combined_and_without_total(client, tables):
    result = datastore(client, tables[0], filters={"設置位置": "公園内"}, sort="_id desc", limit=3)
    assert [record["_id"] for record in result["records"]] == [FREQUENT, FREQUENT - 1, FREQUENT - 2]
    result = datastore(client, tables[0], filters={"設置位置": ["海岸", "屋外"]}, sort="ID desc", limit=2)
    assert [record["_id"] for record in result["records"]] == sorted(
        expected_numbers("設置位置", ["海岸", "屋外"]), reverse=True
    )[:2]
    both = datastore(client, tables[0], filters={"設置位置": "公園内", "利用開始時間": '9"00'}, limit=1000)
    assert [record["_id"] for record in both["records"]] == list(range(2, FREQUENT + 1, 2))
    assert both["total"] == FREQUENT // 2
    found = datastore(client, tables[0], filters={"利用開始時間": "06:00"}, q="トイレ1", include_total=False)
    assert "total" not in found
    assert [record["_id"] for record in found["records"]] == [
        n for n in range(1, ROW_COUNT + 1, 2) if str(n).startswith("1")
    ]


def test_value_counts_are_made_with_the_rows_and_replaced_with_them(city_a, tables):
    with municipality_scope(city_a):
        dataset = Dataset.objects.get(name="toilets")
        resource = dataset.resources.get()
        counts = {(c.column_index, c.value): c.rows for c in ResourceValueCount.objects.filter(resource=resource)}
        place_column = resource.columns.index("設置位置")
        assert counts[(place_column, "公園内")] == FREQUENT
        assert (place_column, "海岸") not in counts  # too rare to count
        assert counts[(place_column, "")] == len(expected_numbers("設置位置", [""]))
        assert counts[(resource.columns.index("名称"), "")] == 0  # every column has its empty count
        services.resource_upload(
            dataset=dataset,
            actor=None,
            name="差し替え",
            description="",
            raw=csv_bytes_for_rows(["ID", "設置位置"], [{"ID": "X1", "設置位置": "海岸"}]),
            filename="new.csv",
            resource=resource,
        )
        assert sorted(
            ResourceValueCount.objects.filter(resource=resource).values_list("column_index", "value", "rows")
        ) == [
            (0, "", 0),
            (1, "", 0),
        ]


def test_replaced_rows_are_searched_and_old_ones_are_gone(client, city_a, tables):
    with municipality_scope(city_a):
        dataset = Dataset.objects.get(name="toilets")
        resource = dataset.resources.get()
        rows = [{"ID": f"N{n}", "設置位置": "公園内" if n % 2 else "海岸"} for n in range(1, 2 * FREQUENT + 1)]
        services.resource_upload(
            dataset=dataset,
            actor=None,
            name="差し替え",
            description="",
            raw=csv_bytes_for_rows(["ID", "設置位置"], rows),
            filename="new.csv",
            resource=resource,
        )
    assert datastore(client, tables[0], filters={"設置位置": "海岸"})["total"] == FREQUENT
    assert datastore(client, tables[0], filters={"ID": "A0001"})["total"] == 0
    assert datastore(client, tables[0], filters={"ID": "N3"})["records"][0]["_id"] == 3


def test_another_municipality_resource_is_not_found_and_its_rows_never_mix(client, tables):
    a, b = tables
    response = client.post(DATASTORE, data=json.dumps({"resource_id": b}), content_type="application/json")
    assert response.status_code == 404 and response.json()["error"]["__type"] == "Not Found Error"
    for values in (["公園内"], ["海岸"], ["A0001"]):
        column = "ID" if values == ["A0001"] else "設置位置"
        in_a = datastore(client, a, filters={column: values})
        in_b = datastore(client, b, path="/city-b/api/3/action/datastore_search", filters={column: values})
        assert in_a["total"] == in_b["total"] == len(expected_numbers(column, values))
        assert in_a["records"] == in_b["records"]  # identical tables, each read from its own rows only


def test_query_counts_do_not_grow_with_the_results(client, city_a, rich_catalogue):
    from django.test.utils import CaptureQueriesContext

    def queries(path, **params):
        with CaptureQueriesContext(connection) as captured:
            client.post(path, data=json.dumps(params), content_type="application/json")
        return len(captured.captured_queries)

    facets = {"facet.field": ["tags", "groups", "res_format", "organization", "license_id"]}
    queries(SEARCH)  # the first request also looks the host name up and caches it
    before = (queries(SEARCH, q="一覧", rows=100, **facets), queries(SEARCH, q="一覧", rows=100))
    for n in range(6):
        make_dataset(
            city_a, name=f"more-{n}", title=f"追加の一覧{n}", department=rich_catalogue[n % 3], rows=[{"名称": "x"}]
        )
    assert search(client, q="一覧", rows=100)["count"] == 12
    assert (queries(SEARCH, q="一覧", rows=100, **facets), queries(SEARCH, q="一覧", rows=100)) == before
