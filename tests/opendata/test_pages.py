"""Resident pages: catalogue with search and facets, dataset page (preview, coordinates, downloads, API
example), downloads in CSV (BOM, CRLF, standard file name), XLSX and JSON, counted per 年度."""

from __future__ import annotations

import io
import json

import pytest
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from madoguchi.opendata.models import DownloadCount

from ..factories import enable_module

pytestmark = pytest.mark.django_db


def test_catalogue_home_search_and_facets(client, catalogue_a, catalogue_b):
    html = client.get("/city-a/opendata/").content.decode()
    assert "指定緊急避難場所一覧" in html and "公衆トイレ一覧" in html
    assert "乙市の避難所データ" not in html and "下書きのデータ" not in html
    assert "防災危機管理課（2）" in html  # organization facet with its count
    html = client.get("/city-a/opendata/", {"q": "トイレ"}).content.decode()
    assert "公衆トイレ一覧" in html and "指定緊急避難場所一覧" not in html
    html = client.get("/city-a/opendata/", {"tags": "避難"}).content.decode()
    assert "指定緊急避難場所一覧" in html and "公衆トイレ一覧" not in html
    assert "の絞り込みを解除" in html


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 500},
        {"q": "\x00"},
        {"tags": '"'},
        {"page": "-3"},
        {"page": "abc"},
        {"organization": "nope"},
        {"q": "' OR 1=1 --"},
    ],
)
def test_hostile_catalogue_queries_never_fail(client, catalogue_a, params):
    response = client.get("/city-a/opendata/", params)
    assert response.status_code == 200
    assert "オープンデータ" in response.content.decode()


def test_catalogue_in_english(client, catalogue_a):
    html = client.get("/city-a/opendata/?lang=en").content.decode()
    assert "Open data" in html and "datasets" in html


def test_dataset_page(client, catalogue_a):
    response = client.get("/city-a/opendata/public-toilet/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "駅前公衆トイレ" in html  # preview table
    assert "36.827200" in html and "137.409300" in html  # coordinates table
    assert "_public_toilet.csv" in html and "?format=xlsx" in html and "?format=json" in html
    assert "/city-a/api/3/action/package_show?id=public-toilet" in html
    assert "13 公衆トイレ一覧" in html


def test_dataset_page_404s(client, catalogue_a, catalogue_b):
    assert client.get("/city-a/opendata/draft-data/").status_code == 404
    assert client.get("/city-a/opendata/secret-b/").status_code == 404
    assert client.get("/city-b/opendata/public-toilet/").status_code == 404
    enable_module(catalogue_b.municipality, "opendata", enabled=False)
    assert client.get("/city-b/opendata/secret-b/").status_code == 404
    assert client.get("/city-b/opendata/").status_code == 404


def _resource(dataset):
    with scopes_disabled():
        return dataset.resources.get()


def test_csv_download_has_bom_crlf_and_standard_name_and_is_counted(client, catalogue_a):
    dataset = catalogue_a["toilets"]
    resource = _resource(dataset)
    code = dataset.municipality.code
    url = f"/city-a/opendata/public-toilet/resource/{resource.public_id}/download/{code}_public_toilet.csv"
    response = client.get(url)
    body = b"".join(response.streaming_content)
    assert response["Content-Disposition"] == f'attachment; filename="{code}_public_toilet.csv"'
    assert body.startswith("\ufeff全国地方公共団体コード,ID,地方公共団体名,名称".encode())
    assert b"\r\n" in body and body.count(b"\n") == body.count(b"\r\n") == 3
    assert f"{code},T0001".encode() in body
    client.get(url + "?format=json")
    with scopes_disabled():
        assert DownloadCount.objects.get(resource=resource).count == 2


def test_xlsx_and_json_downloads(client, catalogue_a):
    resource = _resource(catalogue_a["toilets"])
    base = f"/city-a/opendata/public-toilet/resource/{resource.public_id}/download/x.csv"
    xlsx = client.get(base + "?format=xlsx")
    assert xlsx["Content-Disposition"].endswith('_public_toilet.xlsx"')
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][3] == "名称" and rows[1][3] == "駅前公衆トイレ"
    assert isinstance(rows[1][0], str)  # the code stays text (leading zeros kept)
    data = json.loads(b"".join(client.get(base + "?format=json").streaming_content))
    assert [row["名称"] for row in data] == ["駅前公衆トイレ", "海浜公園トイレ"]
    assert client.get(base + "?format=exe").status_code == 400


def test_download_of_another_municipality_resource_is_404(client, catalogue_a, catalogue_b):
    resource = _resource(catalogue_b)
    assert client.get(f"/city-a/opendata/public-toilet/resource/{resource.public_id}/download/a.csv").status_code == 404


def test_home_page_section(client, catalogue_a):
    html = client.get("/city-a/").content.decode()
    assert "2 件のデータセットを公開しています。" in html
