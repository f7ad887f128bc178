"""オープンデータ: the catalogue (search, a facet) and a dataset page at a phone viewport, checked with axe-core;
and the dataset page under the real CSP (no bypass): its schema.org JSON-LD data block raises no CSP report."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from madoguchi.core.tenancy import municipality_scope
from madoguchi.opendata import services
from madoguchi.opendata.export import csv_bytes_for_rows
from madoguchi.opendata.standards import get_standard
from tests.factories import enable_module, make_department

from .conftest import VIEWPORTS, Town
from .helpers import visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def opendata_town(town: Town) -> Town:
    municipality = town.municipality
    enable_module(municipality, "opendata")
    bosai = make_department(municipality, slug="bosai", name="防災危機管理課", name_en="Disaster Management Division")
    standard = get_standard("13")
    rows = [
        {
            "全国地方公共団体コード": municipality.code,
            "ID": f"T{n}",
            "名称": f"公衆トイレ{n}",
            "所在地_連結表記": "富山県南砺市1",
            "設置位置": "屋外",
            "緯度": f"36.55{n}",
            "経度": f"136.87{n}",
            "車椅子使用者用トイレ有無": "有",
        }
        for n in range(1, 4)
    ]
    with municipality_scope(municipality):
        for name, title, tags, data in (
            ("public-toilet", "公衆トイレ一覧", ["トイレ"], rows),
            ("evacuation-space", "指定緊急避難場所一覧", ["避難", "防災"], None),
        ):
            dataset = services.dataset_save(
                municipality=municipality,
                actor=None,
                data={
                    "name": name,
                    "title": title,
                    "notes": f"南砺市の{title}です。",
                    "department": bosai,
                    "tags": tags,
                    "groups": ["facilities"],
                    "license_id": "cc-by-4.0",
                    "frequency": "yearly",
                    "standard_number": "13" if data else "",
                },
            )
            body = csv_bytes_for_rows(standard.column_names, data) if data else "名称\r\n体育館\r\n".encode()
            services.resource_upload(
                dataset=dataset, actor=None, name=title, description="", raw=body, filename=f"{name}.csv"
            )
            services.dataset_publish(dataset=dataset, actor=None)
    return town


def test_catalogue_search_facet_and_dataset_page(open_page, opendata_town: Town) -> None:
    page = open_page("phone")
    visit(page, "/nanto/opendata/")
    expect(page.get_by_role("heading", level=1)).to_have_text("オープンデータ")
    page.get_by_label("キーワード").fill("トイレ")
    page.get_by_role("button", name="さがす").click()
    page.wait_for_load_state()
    visit(page, page.url)
    expect(page.get_by_role("heading", name="1 件のデータセット")).to_be_visible()
    page.get_by_role("link", name="公衆トイレ一覧").click()
    page.wait_for_load_state()
    visit(page, page.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("公衆トイレ一覧")
    expect(page.get_by_role("region", name="プレビュー（先頭の行）")).to_contain_text("公衆トイレ1")
    expect(page.get_by_role("region", name="地図（座標の一覧）")).to_contain_text("36.551")
    visit(page, "/nanto/opendata/?tags=避難")
    expect(page.get_by_role("link", name="指定緊急避難場所一覧")).to_be_visible()


def test_json_ld_data_block_raises_no_csp_violation(browser: Browser, live_server, opendata_town: Town) -> None:
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", **VIEWPORTS["phone"])  # CSP enforced
    try:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        response = page.goto("/nanto/opendata/public-toilet/")
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
        # A listener for the CSP violation event, then a reload: every violation on load would be reported to it.
        page.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective));"
        )
        page.reload()
        page.wait_for_load_state("load")
        assert page.evaluate("window.__csp") == []
        assert not [text for text in console if "Content Security Policy" in text]
        data = page.evaluate("JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)")
        assert data["@type"] == "Dataset" and data["name"] == "公衆トイレ一覧"
    finally:
        context.close()
