"""The catalogue's cached search results: the same search is served from the cache, and any change to what the
cards show is visible on the next search, per municipality and per language."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures import catalogue_cache
from madoguchi.procedures.models import Fee
from madoguchi.procedures.services import procedure_preset_enable, procedure_set_published

from ..factories import enable_module, make_department

pytestmark = pytest.mark.django_db


def _search(client, query="住民票", slug="city-a", **params):
    response = client.get(f"/{slug}/procedures/", {"q": query, **params})
    assert response.status_code == 200
    return response.content.decode()


def _procedure_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "procedures_procedure" in q["sql"]]


def test_the_same_search_is_served_from_the_cache_with_the_same_page(client, juminhyo_a):
    first = _search(client)
    with CaptureQueriesContext(connection) as queries:
        second = _search(client)
    assert second == first and "住民票の写し等交付申請" in second
    assert _procedure_queries(queries) == []  # neither the count nor the page of procedures was asked for


def test_a_renamed_procedure_shows_its_new_name_on_the_next_search(client, juminhyo_a):
    assert "住民票の写し等交付申請" in _search(client)
    juminhyo_a.name = "住民票の写しの請求"
    juminhyo_a.save()
    body = _search(client)
    assert "住民票の写しの請求" in body and "住民票の写し等交付申請" not in body


def test_an_unpublished_procedure_leaves_the_cached_results(client, city_a, juminhyo_a):
    assert "住民票の写し" in _search(client)
    with municipality_scope(city_a):
        procedure_set_published(procedure=juminhyo_a, actor=None, published=False, request=None)
    assert "住民票の写し" not in _search(client)


def test_a_new_fee_amount_and_a_renamed_department_show_at_once(client, city_a, juminhyo_a, shimin_a):
    assert "300円" in _search(client)
    with municipality_scope(city_a):
        fee = Fee.objects.get(municipality=city_a, code="juminhyo")
        fee.amount = 350
        fee.save()
    assert "350円" in _search(client)
    shimin_a.name = "市民窓口課"
    shimin_a.save()
    assert "市民窓口課" in _search(client)


def test_life_events_written_in_bulk_change_the_browse_results(client, city_a, juminhyo_a):
    from madoguchi.procedures.services import _set_life_events

    assert "住民票の写し" not in _search(client, query="", life_event="death")
    with municipality_scope(city_a):
        _set_life_events(juminhyo_a, ["death"])
    assert "住民票の写し" in _search(client, query="", life_event="death")


def test_municipalities_never_share_cached_results(client, city_a, city_b, juminhyo_a):
    assert "住民票の写し等交付申請" in _search(client)
    enable_module(city_b, "procedures")
    make_department(city_b, slug="shimin", name="市民課")
    assert "住民票の写し" not in _search(client, slug="city-b")
    with municipality_scope(city_b):
        other = procedure_preset_enable(municipality=city_b, actor=None, key="juminhyo", request=None)
        procedure_set_published(procedure=other, actor=None, published=True, request=None)
    assert "住民票の写し" in _search(client, slug="city-b")


def test_english_results_are_rendered_in_english(client, juminhyo_a):
    _search(client)
    english = client.get("/city-a/procedures/?q=%E4%BD%8F%E6%B0%91%E7%A5%A8&lang=en").content.decode()
    assert "Request for a certificate of residence" in english
    assert "住民票の写し等交付申請" not in english


def test_a_refused_search_is_never_cached(client, juminhyo_a, monkeypatch):
    from django.core.cache import cache

    stored: list[str] = []
    original_set = cache.set

    def spying_set(key, *args, **kwargs):
        stored.append(key)
        return original_set(key, *args, **kwargs)

    monkeypatch.setattr(cache, "set", spying_set)
    pages = "madoguchi:procedures:catalogue:"
    for _ in range(2):
        refused = client.get("/city-a/procedures/", {"category": "<script>"})
        assert refused.status_code == 400 and "&lt;script&gt;" in refused.content.decode()
    assert not [key for key in stored if key.startswith(pages)]
    assert client.get("/city-a/procedures/", {"q": "住民票"}).status_code == 200
    assert [key for key in stored if key.startswith(pages)]  # an accepted search is stored: the spy sees it


def test_the_version_is_replaced_again_when_the_writing_transaction_commits(city_a, django_capture_on_commit_callbacks):
    before = catalogue_cache.catalogue_version(city_a.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        catalogue_cache.catalogue_changed(city_a.pk)
    during = catalogue_cache.catalogue_version(city_a.pk)
    assert during != before and len(callbacks) == 1
    callbacks[0]()
    assert catalogue_cache.catalogue_version(city_a.pk) not in (before, during)
