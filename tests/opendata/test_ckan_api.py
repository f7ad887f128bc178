"""The CKAN Action API through Django's test client: envelope, error types and statuses, search, facets,
DataStore, tenancy and the middleware leaving the CKAN paths alone."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def call(client, path, method="get", **data):
    if method == "post":
        response = client.post(path, data=json.dumps(data), content_type="application/json")
    else:
        response = client.get(path, data)
    return response, response.json()


@pytest.mark.parametrize("prefix", ["/city-a/api/action/", "/city-a/api/3/action/"])
def test_envelope_and_package_list(client, catalogue_a, catalogue_b, prefix):
    response, body = call(client, prefix + "package_list")
    assert response.status_code == 200
    assert body["success"] is True
    assert body["help"] == "http://testserver/city-a/api/3/action/help_show?name=package_list"
    assert body["result"] == ["evacuation-space", "public-toilet"]  # no draft, nothing of city B


def test_platform_catalogue_prefixes_names_and_uses_municipalities_as_organizations(client, catalogue_a, catalogue_b):
    _, body = call(client, "/api/3/action/package_list")
    assert body["result"] == ["city-a-evacuation-space", "city-a-public-toilet", "city-b-secret-b"]
    _, body = call(client, "/api/action/package_show", id="city-b-secret-b")
    assert body["result"]["organization"]["name"] == "city-b"
    _, body = call(client, "/api/action/organization_list")
    assert body["result"] == ["city-b", "city-a"]  # title asc: 乙市 before 甲市


def test_package_show_by_name_and_id(client, catalogue_a):
    _, by_name = call(client, "/city-a/api/action/package_show", method="post", id="public-toilet")
    package = by_name["result"]
    _, by_id = call(client, "/city-a/api/action/package_show", id=package["id"])
    assert by_id["result"]["name"] == "public-toilet"
    assert package["organization"]["name"] == "bosai"
    assert package["license_id"] == "cc-by-4.0" and package["isopen"] is True
    assert [t["name"] for t in package["tags"]] == ["トイレ"]
    assert package["num_resources"] == 1
    resource = package["resources"][0]
    assert resource["format"] == "CSV" and resource["datastore_active"] is True
    assert resource["url"].endswith(f"/download/{catalogue_a['toilets'].municipality.code}_public_toilet.csv")
    assert len(resource["hash"]) == 64 and resource["size"] > 0
    assert {"key": "standard_dataset", "value": "13"} in package["extras"]


@pytest.mark.parametrize("ident", ["secret-b", "draft-data", "nope", "not-a-uuid-at-all-but-36-characters!", ""])
def test_other_municipality_drafts_and_unknown_are_not_found(client, catalogue_a, catalogue_b, ident):
    response, body = call(client, "/city-a/api/action/package_show", id=ident)
    if ident == "":
        assert response.status_code == 409
        assert body["error"] == {"__type": "Validation Error", "id": ["Missing value"]}
    else:
        assert response.status_code == 404
        assert body["success"] is False
        assert body["error"]["__type"] == "Not Found Error"
        assert body["error"]["message"].startswith("Not found: ")


def test_other_municipality_id_is_not_found_either(client, catalogue_a, catalogue_b):
    response, body = call(client, "/city-a/api/action/package_show", id=str(catalogue_b.public_id))
    assert response.status_code == 404 and body["error"]["__type"] == "Not Found Error"


def test_unknown_action_is_a_bare_json_string_400(client, db):
    response = client.get("/api/action/no_such_action")
    assert response.status_code == 400
    assert response.json() == "Bad request: Action name not known: no_such_action"


def test_write_actions_are_authorization_errors(client, catalogue_a):
    response, body = call(client, "/city-a/api/action/package_create", method="post", name="x")
    assert response.status_code == 403
    assert body["error"]["__type"] == "Authorization Error"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("避難", ["evacuation-space"]),
        ("トイレ", ["public-toilet"]),
        ("といれ", ["public-toilet"]),
        ("公衆 一覧", ["public-toilet"]),
        ("トイレ CSV", ["public-toilet"]),
        ("存在しない語", []),
    ],
)
def test_japanese_partial_word_search(client, catalogue_a, catalogue_b, query, expected):
    _, body = call(client, "/city-a/api/action/package_search", q=query)
    assert [item["name"] for item in body["result"]["results"]] == expected
    assert body["result"]["count"] == len(expected)


def test_search_finds_tags_notes_and_resource_names(client, catalogue_a):
    for word in ("防災", "指定緊急", "管理する", "公衆トイレ一覧 CSV"):
        _, body = call(client, "/city-a/api/action/package_search", q=word)
        assert body["result"]["count"] >= 1, word


def test_fq_facets_sort_and_paging(client, catalogue_a):
    _, body = call(
        client,
        "/city-a/api/action/package_search",
        method="post",
        fq='organization:bosai +tags:"トイレ"',
        **{"facet.field": ["tags", "res_format", "organization", "groups", "license_id"]},
    )
    result = body["result"]
    assert [r["name"] for r in result["results"]] == ["public-toilet"]
    assert result["search_facets"]["tags"]["items"] == [{"name": "トイレ", "display_name": "トイレ", "count": 1}]
    assert result["search_facets"]["organization"]["items"][0]["display_name"] == "防災危機管理課"
    assert result["facets"]["res_format"] == {"CSV": 1}
    _, body = call(client, "/city-a/api/action/package_search", sort="name desc", rows="1", start="1")
    assert body["result"]["count"] == 2
    assert [r["name"] for r in body["result"]["results"]] == ["evacuation-space"]
    assert body["result"]["sort"] == "name desc"


def test_facet_field_accepts_a_bare_string(client, catalogue_a):
    _, body = call(client, "/city-a/api/action/package_search", **{"facet.field": "groups"})
    assert {item["name"] for item in body["result"]["search_facets"]["groups"]["items"]} == {"disaster", "facilities"}


def test_rows_are_capped_at_1000_and_default_10(client, catalogue_a):
    _, body = call(client, "/city-a/api/action/package_search", rows="5000")
    assert body["success"] is True and body["result"]["count"] == 2


@pytest.mark.parametrize(
    ("params", "status", "type_"),
    [
        ({"offset": "1"}, 400, "Search Query Error"),
        ({"fq": "colour:red"}, 400, "Search Query Error"),
        ({"fq": 'tags:"unbalanced'}, 400, "Search Query Error"),
        ({"sort": "drop table"}, 400, "Search Query Error"),
        ({"facet.field": "[not json"}, 409, "Validation Error"),
        ({"facet.field": '["secret"]'}, 400, "Search Query Error"),
        ({"rows": "ten"}, 409, "Validation Error"),
        ({"start": "-1"}, 409, "Validation Error"),
    ],
)
def test_search_errors(client, catalogue_a, params, status, type_):
    response, body = call(client, "/city-a/api/action/package_search", **params)
    assert response.status_code == status
    assert body["success"] is False and body["error"]["__type"] == type_


def test_invalid_search_parameters_message_names_them(client, catalogue_a):
    _, body = call(client, "/city-a/api/action/package_search", offset="1", limit="2")
    assert body["error"]["message"] == "Search Query is invalid: Invalid search parameters: ['limit', 'offset']"


def test_malformed_and_hostile_bodies(client, catalogue_a):
    response = client.post("/city-a/api/action/package_search", data="{not json", content_type="application/json")
    assert response.status_code == 400 and isinstance(response.json(), str)
    response = client.post("/city-a/api/action/package_search", data="[1,2]", content_type="application/json")
    assert response.status_code == 400
    response = client.post(
        "/city-a/api/action/package_search", data=json.dumps({"q": "x" * 200_000}), content_type="application/json"
    )
    assert response.status_code == 400
    _, body = call(client, "/city-a/api/action/package_search", method="post", q="'; DROP TABLE opendata_dataset; --")
    assert body["success"] is True and body["result"]["count"] == 0
    _, body = call(client, "/city-a/api/action/package_show", method="post", id=["a", {"b": 1}])
    assert body["success"] is False


def test_middleware_leaves_ckan_paths_alone_but_not_the_platform_api(client, db):
    response = client.put("/api/3/action/package_list")
    assert response.status_code == 405
    assert "error" in response.json() and response.json()["error"]["__type"] == "Bad request"
    assert response["Allow"] == "GET, POST"
    platform = client.get("/api/v1/no-such-thing")
    assert platform.json()["error"]["code"] == "not_found"
    no_redirect = client.post("/api/action/package_list", data="{}", content_type="application/json")
    assert no_redirect.status_code == 200


def test_switched_off_municipality_has_no_catalogue(client, catalogue_a):
    from ..factories import enable_module

    enable_module(catalogue_a["toilets"].municipality, "opendata", enabled=False)
    response, body = call(client, "/city-a/api/action/package_list")
    assert response.status_code == 404 and body["error"]["__type"] == "Not Found Error"
    _, body = call(client, "/api/action/package_list")
    assert body["result"] == []


def test_organization_tag_group_license_status_help(client, catalogue_a):
    _, body = call(client, "/city-a/api/action/organization_list", all_fields="true")
    bosai = next(org for org in body["result"] if org["name"] == "bosai")
    assert bosai["package_count"] == 2 and bosai["title"] == "防災危機管理課"
    _, body = call(client, "/city-a/api/action/organization_show", id="bosai", include_datasets="true")
    assert [p["name"] for p in body["result"]["packages"]] == ["evacuation-space", "public-toilet"]
    _, body = call(client, "/city-a/api/action/tag_list")
    assert body["result"] == ["トイレ", "避難", "防災"]
    _, body = call(client, "/city-a/api/action/tag_list", query="とい")
    assert body["result"] == ["トイレ"]
    _, body = call(client, "/city-a/api/action/group_list", all_fields="true")
    assert {g["name"]: g["package_count"] for g in body["result"]}["disaster"] == 1
    _, body = call(client, "/city-a/api/action/license_list")
    assert [item["id"] for item in body["result"]] == ["cc-by-4.0", "pdl-1.0"]
    _, body = call(client, "/city-a/api/action/status_show")
    assert body["result"]["site_url"] == "http://testserver/city-a"
    response, body = call(client, "/city-a/api/action/help_show", name="nope")
    assert response.status_code == 404


def test_resource_show_and_datastore_search(client, catalogue_a, catalogue_b):
    _, body = call(client, "/city-a/api/action/package_show", id="public-toilet")
    resource_id = body["result"]["resources"][0]["id"]
    _, body = call(client, "/city-a/api/action/resource_show", id=resource_id)
    assert body["result"]["id"] == resource_id
    _, body = call(
        client,
        "/city-a/api/action/datastore_search",
        method="post",
        resource_id=resource_id,
        filters={"車椅子使用者用トイレ有無": "有"},
        fields=["_id", "名称"],
    )
    result = body["result"]
    assert result["total"] == 1
    assert result["records"] == [{"_id": 1, "名称": "駅前公衆トイレ"}]
    assert result["fields"] == [{"id": "_id", "type": "int"}, {"id": "名称", "type": "text"}]
    _, body = call(
        client,
        "/city-a/api/action/datastore_search",
        resource_id=resource_id,
        sort="名称 desc",
        limit="1",
        filters='{"設置位置": ["屋外", "公園内"]}',
        q="トイレ",
    )
    assert body["result"]["total"] == 2 and body["result"]["records"][0]["名称"] == "駅前公衆トイレ"
    response, body = call(
        client, "/city-a/api/action/datastore_search", resource_id=resource_id, filters='{"色": "赤"}'
    )
    assert response.status_code == 409 and body["error"]["__type"] == "Validation Error" and "filters" in body["error"]
    response, body = call(client, "/city-a/api/action/datastore_search", resource_id=resource_id, filters="{bad")
    assert response.status_code == 409
    b_resource = str(catalogue_b.resources.get().public_id) if False else None
    from django_scopes import scopes_disabled

    with scopes_disabled():
        b_resource = str(catalogue_b.resources.get().public_id)
    response, body = call(client, "/city-a/api/action/datastore_search", resource_id=b_resource)
    assert response.status_code == 404 and body["error"]["__type"] == "Not Found Error"


def test_datastore_filters_are_exact_and_case_sensitive(client, catalogue_a):
    _, body = call(client, "/city-a/api/action/package_show", id="public-toilet")
    resource_id = body["result"]["resources"][0]["id"]

    def total(filters):
        _, found = call(
            client, "/city-a/api/action/datastore_search", method="post", resource_id=resource_id, filters=filters
        )
        return found["result"]["total"]

    assert total({"ID": "T0001"}) == 1
    assert total({"ID": "t0001"}) == 0  # case-sensitive, like CKAN's DataStore
    assert total({"ID": "T000"}) == 0  # whole values only
    assert total({"建物名等(方書)": ""}) == 2  # empty cells
    assert total({"ID": ["T0001", "T0002"]}) == 2
    assert total({"_id": 2}) == 1


def test_a_city_host_name_serves_only_that_city(client, catalogue_a, catalogue_b):
    from madoguchi.core.models import MunicipalityHost

    MunicipalityHost.objects.create(municipality=catalogue_a["toilets"].municipality, host="opendata.city-a.example.jp")
    response = client.get("/api/3/action/package_list", HTTP_HOST="opendata.city-a.example.jp")
    assert response.status_code == 200
    assert response.json()["result"] == ["evacuation-space", "public-toilet"]
    assert client.get("/api/action/package_list").json()["result"][-1] == "city-b-secret-b"  # platform host
    platform_api = client.get("/api/v1/municipalities/city-b", HTTP_HOST="opendata.city-a.example.jp")
    assert platform_api.status_code == 404  # the rule for /api/v1/ is unchanged
