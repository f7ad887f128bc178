"""Fixtures for payments: 住民票 online in city A with card (the built-in test gateway) and 窓口払い allowed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.test import Client

from madoguchi.core.tenancy import municipality_scope
from madoguchi.payments import testgateway
from madoguchi.payments.demo import seed_payments
from madoguchi.payments.models import PaymentAccount, TestGatewayEvent
from madoguchi.procedures.builder import form_definition_publish
from madoguchi.procedures.engine.examples import example_json
from madoguchi.procedures.models import IdentityLevel, Procedure
from madoguchi.procedures.services import procedure_preset_enable, procedure_set_published

from ..factories import enable_module, make_department, make_user

PAGES = {
    "applicant": {
        "applicant_name__family_name": "山田",
        "applicant_name__given_name": "太郎",
        "applicant_name__family_name_kana": "ヤマダ",
        "applicant_name__given_name_kana": "タロウ",
        "applicant_address__postal_code": "939-1596",
        "applicant_address__prefecture": "富山県",
        "applicant_address__city": "南砺市",
        "applicant_address__town": "苗島",
        "applicant_address__street": "4880",
        "applicant_phone": "0763-23-2000",
    },
    "whose": {"relationship": "self"},
    "certificate": {"scope": "individual", "copies": "2", "purpose": "work"},
    "delivery": {"delivery": "post"},
    "declaration": {"declaration": "on"},
}


def _online_juminhyo(municipality, slug="shimin"):
    enable_module(municipality, "procedures")
    make_department(municipality, slug=slug, name="市民課", name_en="Citizens Division")
    with municipality_scope(municipality):
        procedure = procedure_preset_enable(municipality=municipality, actor=None, key="juminhyo", request=None)
        procedure = procedure_set_published(procedure=procedure, actor=None, published=True, request=None)
        form_definition_publish(procedure=procedure, actor=None, definition=example_json("juminhyo"), request=None)
        Procedure.objects.filter(pk=procedure.pk).update(identity_level=IdentityLevel.ACCOUNT)
        seed_payments(municipality)
    procedure.refresh_from_db()
    return procedure


@pytest.fixture
def juminhyo_a(city_a):
    """住民票 (300円/通) online in city A; payments allow card (test gateway) and 窓口払い."""
    return _online_juminhyo(city_a)


@pytest.fixture
def juminhyo_b(city_b):
    return _online_juminhyo(city_b)


@pytest.fixture
def account_a(city_a, juminhyo_a) -> PaymentAccount:
    with municipality_scope(city_a):
        return PaymentAccount.objects.get(municipality=city_a, adapter="test_gateway")


@dataclass
class HeldWebhooks:
    """Webhook deliveries of the test gateway, held so the test decides when (and how often) they arrive."""

    enqueued: list[str] = field(default_factory=list)

    def enqueue(self, *, event_id: str) -> None:  # stands in for deliver_webhook.enqueue
        self.enqueued.append(event_id)

    def event_ids(self, kind: str = "") -> list[str]:
        events = TestGatewayEvent.objects.order_by("pk")
        return [event.event_id for event in events if not kind or f'"type":"{kind}"' in event.body]

    def deliver(self, event_id: str, client: Client | None = None) -> int:
        return post_webhook(*testgateway.signed_delivery(event_id), client=client)

    def deliver_all(self, kind: str = "") -> list[int]:
        return [self.deliver(event_id) for event_id in self.event_ids(kind)]


@pytest.fixture
def held_webhooks(monkeypatch) -> HeldWebhooks:
    held = HeldWebhooks()
    monkeypatch.setattr(testgateway, "deliver_webhook", held)
    return held


def webhook_url(account: PaymentAccount) -> str:
    return f"/payments/webhooks/test_gateway/{account.public_id}/"


def post_webhook(account, headers, body, *, client: Client | None = None) -> int:
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    response = (client or Client()).post(webhook_url(account), data=body, content_type="application/json", **extra)
    return response.status_code


def resident_client(email: str = "payer@example.jp") -> tuple[Client, object]:
    resident = make_user(email, family_name="山田", given_name="太郎")
    client = Client()
    client.force_login(resident)
    return client, resident


def walk_to_check(client: Client, slug: str = "city-a", pages: dict | None = None) -> str:
    response = client.post(f"/{slug}/procedures/juminhyo/apply/")
    assert response.status_code == 302, response.content[:500]
    url = response["Location"]
    for page_id, data in (pages or PAGES).items():
        assert url.endswith(f"/{page_id}/"), url
        response = client.post(url, data)
        assert response.status_code == 302, (page_id, response.content.decode()[:2000])
        url = response["Location"]
    assert url.endswith("/check/")
    return url


def draft_id_of(check_url: str) -> str:
    match = re.search(r"/apply/([0-9a-f-]{36})/check/", check_url)
    assert match, check_url
    return match.group(1)


def choose_card(client: Client, check_url: str) -> str:
    """Choose card on the check page: the hosted page's path."""
    response = client.post(check_url, {"method": "card"})
    assert response.status_code == 302, response.content.decode()[:2000]
    location = response["Location"]
    assert location.startswith("/payments/test-gateway/checkout/"), location
    return location


def pay_on_gateway(client: Client, checkout_url: str, card: str = "4242 4242 4242 4242") -> str:
    """Pay on the hosted page; the signed return URL (path + query) the gateway redirects to."""
    response = client.post(checkout_url, {"card_number": card, "expiry": "12/40", "cvc": "123"})
    assert response.status_code == 302, response.content.decode()[:2000]
    parts = urlsplit(response["Location"])
    return f"{parts.path}?{parts.query}"
