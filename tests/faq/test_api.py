import json

from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.faq.models import Question

from ..factories import enable_module
from .conftest import add_faq


def post(path, body, **headers):
    return Client().post(path, json.dumps(body), content_type="application/json", headers=headers)


def test_ask_answers_with_the_faq_its_links_and_the_contact(faqs_a):
    response = post("/api/v1/municipalities/city-a/faq/ask", {"question": "住民票がほしい"})
    assert response.status_code == 200
    body = response.json()
    assert body["answered"] is True and body["answer"]["question"] == "住民票の写しを取りたい"
    assert {"label": "オンラインで申請する", "url": "/city-a/procedures/juminhyo/"} in body["answer"]["links"]
    assert body["answer"]["url"] == f"/city-a/faq/{faqs_a['juminhyo'].public_id}/"
    assert body["contact"]["name"] == "市民課" and body["contact"]["phone"] == "0881234567"
    with scopes_disabled():
        assert Question.objects.get().channel == "api"


def test_ask_admits_uncertainty(faqs_a):
    body = post("/api/v1/municipalities/city-a/faq/ask", {"question": "明日の天気は？"}).json()
    assert body["answered"] is False and body["answer"] is None and body["confidence"] < body["threshold"]


def test_feedback_through_the_api(faqs_a):
    body = post("/api/v1/municipalities/city-a/faq/ask", {"question": "住民票がほしい"}).json()
    response = post(f"/api/v1/municipalities/city-a/faq/questions/{body['question_id']}/feedback", {"helpful": False})
    assert response.status_code == 200 and response.json() == {"question_id": body["question_id"], "helpful": False}
    other = post(f"/api/v1/municipalities/city-b/faq/questions/{body['question_id']}/feedback", {"helpful": True})
    assert other.status_code == 404


def test_bad_input_gets_the_one_error_shape(faqs_a):
    for payload, field in [
        ({"question": ""}, "question"),
        ({"question": "あ" * 501}, "question"),
        ({}, "question"),
        ({"question": "住民票\u0000"}, "question"),
    ]:
        response = post("/api/v1/municipalities/city-a/faq/ask", payload)
        assert response.status_code == 422, payload
        assert field in response.json()["error"]["fields"]
    response = Client().post("/api/v1/municipalities/city-a/faq/ask", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


def test_english_error_messages(faqs_a):
    response = post("/api/v1/municipalities/city-a/faq/ask", {"question": ""}, **{"Accept-Language": "en"})
    assert response.json()["error"]["message"].isascii()


def test_404_for_an_unknown_municipality_or_a_switched_off_module(faqs_a, city_b):
    assert post("/api/v1/municipalities/nowhere/faq/ask", {"question": "住民票"}).status_code == 404
    assert post("/api/v1/municipalities/city-b/faq/ask", {"question": "住民票"}).status_code == 404


def test_another_municipalitys_faq_never_answers(faqs_a, city_b):
    enable_module(city_b, "faq")
    add_faq(city_b, "図書館の開館時間", "9時から開いています。")
    body = post("/api/v1/municipalities/city-b/faq/ask", {"question": "住民票の写しを取りたい"}).json()
    ids = {faq["id"] for faq in [body["answer"] or {}, *body["related"], *body["candidates"]] if faq}
    assert str(faqs_a["juminhyo"].public_id) not in ids


def test_the_published_faq_list(faqs_a):
    body = Client().get("/api/v1/municipalities/city-a/faq", {"limit": 2}).json()
    assert body["count"] == 4 and len(body["items"]) == 2


def test_rate_limited_with_the_error_shape(faqs_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "faq_ask": (1, 600)}
    assert post("/api/v1/municipalities/city-a/faq/ask", {"question": "住民票"}).status_code == 200
    response = post("/api/v1/municipalities/city-a/faq/ask", {"question": "住民票"})
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"


def test_the_issue_path_asks_the_municipality_named_in_the_body(faqs_a):
    response = post("/api/v1/faq/ask", {"municipality": "city-a", "question": "住民票がほしい"})
    assert response.status_code == 200
    body = response.json()
    assert body["answered"] is True and body["answer"]["id"] == str(faqs_a["juminhyo"].public_id)
    assert body["contact"]["name"] == "市民課"
    with scopes_disabled():
        assert Question.objects.get().channel == "api"


def test_the_issue_path_refuses_bad_input_and_other_municipalities(faqs_a, city_b):
    for payload, field in [
        ({"question": "住民票"}, "municipality"),
        ({"municipality": "", "question": "住民票"}, "municipality"),
        ({"municipality": "../city-a", "question": "住民票"}, "municipality"),
        ({"municipality": "city-a", "question": ""}, "question"),
        ({"municipality": "city-a", "question": "あ" * 501}, "question"),
    ]:
        response = post("/api/v1/faq/ask", payload)
        assert response.status_code == 422, payload
        assert field in response.json()["error"]["fields"]
    assert post("/api/v1/faq/ask", {"municipality": "nowhere", "question": "住民票"}).status_code == 404
    # city-b has not switched the module on: 404, and city-a's FAQ never answers for it.
    response = post("/api/v1/faq/ask", {"municipality": "city-b", "question": "住民票の写しを取りたい"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    enable_module(city_b, "faq")
    body = post("/api/v1/faq/ask", {"municipality": "city-b", "question": "住民票の写しを取りたい"}).json()
    assert body["answer"] is None and body["candidates"] == [] and body["related"] == []


def test_the_issue_path_shares_the_rate_limit(faqs_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "faq_ask": (1, 600)}
    assert post("/api/v1/faq/ask", {"municipality": "city-a", "question": "住民票"}).status_code == 200
    response = post("/api/v1/municipalities/city-a/faq/ask", {"question": "住民票"})
    assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"
