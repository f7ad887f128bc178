"""The real CKAN client (ckanapi.RemoteCKAN) against a live server, POST and get_only=True, including the
mapping of our errors to its exceptions."""

from __future__ import annotations

import pytest
from ckanapi import NotFound, RemoteCKAN, SearchQueryError, ValidationError
from ckanapi.errors import CKANAPIError

pytestmark = pytest.mark.django_db(transaction=True)

UA = "madoguchi-tests/1"


@pytest.fixture(params=[False, True], ids=["post", "get_only"])
def ckan(request, live_server, catalogue_a, catalogue_b):
    with RemoteCKAN(f"{live_server.url}/city-a", user_agent=UA, get_only=request.param) as client:
        client.get_only = request.param
        yield client


def test_lists_shows_and_searches_with_facets(ckan):
    assert ckan.action.package_list() == ["evacuation-space", "public-toilet"]
    package = ckan.action.package_show(id="public-toilet")
    assert package["title"] == "公衆トイレ一覧"
    facet_field = '["tags", "organization"]' if ckan.get_only else ["tags", "organization"]
    result = ckan.action.package_search(q="避難", **{"facet.field": facet_field})
    assert [r["name"] for r in result["results"]] == ["evacuation-space"]
    assert {i["name"] for i in result["search_facets"]["tags"]["items"]} == {"避難", "防災"}
    assert result["search_facets"]["organization"]["items"][0]["name"] == "bosai"
    assert ckan.action.organization_list(all_fields=True)[0]["package_count"] >= 0
    assert "トイレ" in ckan.action.tag_list()
    resource = ckan.action.resource_show(id=package["resources"][0]["id"])
    filters = '{"設置位置": "屋外"}' if ckan.get_only else {"設置位置": "屋外"}
    rows = ckan.action.datastore_search(resource_id=resource["id"], filters=filters)
    assert rows["total"] == 1 and rows["records"][0]["名称"] == "駅前公衆トイレ"


def test_errors_map_to_ckanapi_exceptions(ckan):
    with pytest.raises(NotFound):
        ckan.action.package_show(id="secret-b")  # city B's dataset, from city A's catalogue
    with pytest.raises(NotFound):
        ckan.action.resource_show(id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValidationError) as excinfo:
        ckan.action.package_search(rows="many")
    assert excinfo.value.error_dict["rows"] == ["Invalid integer"]
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(offset=10)
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(fq="colour:red")
    with pytest.raises(CKANAPIError):
        ckan.call_action("no_such_action")


def test_platform_wide_catalogue(live_server, catalogue_a, catalogue_b):
    with RemoteCKAN(live_server.url, user_agent=UA) as ckan:
        assert ckan.action.package_list() == ["city-a-evacuation-space", "city-a-public-toilet", "city-b-secret-b"]
        result = ckan.action.package_search(q="避難", **{"facet.field": ["organization"]})
        assert {i["name"] for i in result["search_facets"]["organization"]["items"]} == {"city-a", "city-b"}
