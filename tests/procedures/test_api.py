"""The procedures API: catalogue search, form definitions, idempotent applications with server-side checks."""

import json

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.core.tenancy import municipality_scope
from madoguchi.procedures.builder import form_definition_publish
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.models import IdentityLevel, Procedure, Submission, SubmissionStatus

from ..factories import enable_module, make_user

pytestmark = pytest.mark.django_db

ANSWERS = {
    "applicant_name": {
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ",
    },
    "applicant_address": {
        "postal_code": "9391596",
        "prefecture": "富山県",
        "city": "南砺市",
        "town": "苗島",
        "street": "4880",
        "building": "",
    },
    "applicant_phone": "0763232000",
    "relationship": "self",
    "scope": "individual",
    "copies": 3,
    "purpose": "work",
    "delivery": "counter",
    "declaration": True,
}


@pytest.fixture
def online(city_a, juminhyo_a):
    with municipality_scope(city_a):
        form_definition_publish(procedure=juminhyo_a, actor=None, request=None, definition=example_json("juminhyo"))
    with scopes_disabled():
        Procedure.objects.filter(pk=juminhyo_a.pk).update(identity_level=IdentityLevel.ACCOUNT)
    return juminhyo_a


def _post(client, answers, **headers):
    return client.post(
        "/api/v1/municipalities/city-a/procedures/juminhyo/submissions",
        json.dumps({"answers": answers}),
        content_type="application/json",
        **headers,
    )


def test_catalogue_search_and_detail(client, online):
    found = client.get("/api/v1/municipalities/city-a/procedures", {"q": "じゅうみんひょう"}).json()
    assert found["count"] == 1 and found["items"][0]["slug"] == "juminhyo" and found["items"][0]["online"] is True
    assert found["items"][0]["fees"] == [{"code": "juminhyo", "name": "住民票の写し", "amount": 300, "unit": "1通"}]
    detail = client.get("/api/v1/municipalities/city-a/procedures/juminhyo").json()
    assert detail["form_version"] == 1 and detail["form"]["pages"][0]["id"] == "applicant"
    assert client.get("/api/v1/municipalities/city-a/procedures", {"limit": 500}).status_code == 422


def test_an_application_through_the_api(online):
    client = Client()
    client.force_login(make_user())
    response = _post(client, ANSWERS)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["fee_total"] == 900 and body["receipt_number"]
    # Through the API the fee is paid at the counter (no hosted page to send a program to).
    assert body["payment"] == {"status": "pending", "method": "counter", "amount": 900, "receipt_number": ""}
    status = client.get(f"/api/v1/municipalities/city-a/submissions/{body['id']}").json()
    assert status["receipt_number"] == body["receipt_number"] and status["payment"]["status"] == "pending"


def test_the_api_cannot_bypass_validation(online):
    client = Client()
    client.force_login(make_user())
    bad = {**ANSWERS, "copies": 99, "applicant_phone": "12", "purpose": "other"}  # purpose_detail now required
    response = _post(client, bad)
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert {"copies", "applicant_phone", "purpose_detail"} <= set(fields)
    with scopes_disabled():
        assert not Submission.objects.exists()  # not even a draft is left behind


def test_replays_with_one_idempotency_key_make_one_application(online):
    client = Client()
    client.force_login(make_user())
    first = _post(client, ANSWERS, HTTP_IDEMPOTENCY_KEY="apply-1")
    second = _post(client, ANSWERS, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    with scopes_disabled():
        assert Submission.objects.exclude(status=SubmissionStatus.DRAFT).count() == 1


def test_sign_in_and_identity_rules(online):
    assert _post(Client(), ANSWERS).status_code == 401
    with scopes_disabled():
        Procedure.objects.filter(pk=online.pk).update(identity_level=IdentityLevel.MY_NUMBER_CARD)
    client = Client()
    client.force_login(make_user())
    refused = _post(client, ANSWERS)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "identity_required"


def test_other_peoples_and_municipalities_applications_are_404(online, city_b):
    owner = Client()
    owner.force_login(make_user())
    created = _post(owner, ANSWERS).json()
    stranger = Client()
    stranger.force_login(make_user())
    assert stranger.get(f"/api/v1/municipalities/city-a/submissions/{created['id']}").status_code == 404
    enable_module(city_b, "procedures")
    assert owner.get(f"/api/v1/municipalities/city-b/submissions/{created['id']}").status_code == 404
    assert owner.get("/api/v1/municipalities/city-b/procedures/juminhyo").status_code == 404


def test_application_posts_are_rate_limited_per_account_with_retry_after(online, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_application": (2, 600)}
    client = Client()
    client.force_login(make_user())
    assert _post(client, ANSWERS).status_code == 201
    assert _post(client, ANSWERS).status_code == 201
    refused = _post(client, ANSWERS)
    assert refused.status_code == 429 and refused["Retry-After"] == "600"
    assert refused.json()["error"]["code"] == "rate_limited"
    with scopes_disabled():
        assert Submission.objects.exclude(status="draft").count() == 2  # nothing written over the limit


def test_rate_limits_can_be_tuned_from_the_environment(monkeypatch):
    import importlib

    import madoguchi.settings.base as base

    monkeypatch.setenv("MADOGUCHI_RATE_LIMITS", '{"api_application": [500, 60]}')
    try:
        assert importlib.reload(base).RATE_LIMITS["api_application"] == (500, 60)
        monkeypatch.setenv("MADOGUCHI_RATE_LIMITS", '{"no_such_bucket": [1, 1]}')
        from django.core.exceptions import ImproperlyConfigured

        with pytest.raises(ImproperlyConfigured):
            importlib.reload(base)
    finally:
        monkeypatch.delenv("MADOGUCHI_RATE_LIMITS")
        importlib.reload(base)
