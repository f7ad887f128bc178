"""Which methods a municipality offers, the demo, the deploy check, the cashless KPI and hostile card input."""

from __future__ import annotations

import datetime

import pytest
from django.core.checks import run_checks
from django_scopes import scopes_disabled

from madoguchi.core.models import ModuleActivation
from madoguchi.core.tenancy import municipality_scope
from madoguchi.payments import testgateway
from madoguchi.payments.adapters import ProviderError
from madoguchi.payments.models import Payment, PaymentAccount, PaymentStatus
from madoguchi.payments.selectors import payment_methods_for
from madoguchi.procedures import kpis
from madoguchi.procedures.demo import seed_procedures

from ..factories import enable_module, make_department
from .conftest import choose_card, draft_id_of, pay_on_gateway, resident_client, walk_to_check

pytestmark = pytest.mark.django_db


def _methods(municipality) -> list[str]:
    municipality.__dict__.pop("_module_activation_cache", None)
    with municipality_scope(municipality):
        return [choice.method for choice in payment_methods_for(municipality)]


def _set(municipality, *, enabled=True, **settings) -> None:
    with scopes_disabled():
        ModuleActivation.objects.update_or_create(
            municipality=municipality, module_key="payments", defaults={"enabled": enabled, "settings": settings}
        )


def test_the_municipality_settings_decide_the_methods(juminhyo_a, city_a):
    assert _methods(city_a) == ["card", "counter"]
    _set(city_a, card=True, counter=False)
    assert _methods(city_a) == ["card"]
    _set(city_a, card=False, counter=True)
    assert _methods(city_a) == ["counter"]
    _set(city_a, enabled=False, card=True, counter=False)
    assert _methods(city_a) == ["counter"]  # switched off: never stuck, the counter still takes fees
    _set(city_a, card=True, counter=True)
    with scopes_disabled():
        PaymentAccount.objects.filter(municipality=city_a).update(is_enabled=False)
    assert _methods(city_a) == ["counter"]  # no merchant account, no card


def test_card_only_sends_the_resident_straight_to_payment(juminhyo_a, city_a):
    _set(city_a, card=True, counter=False)
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    page = client.get(check_url).content.decode()
    assert 'name="method"' not in page and "お支払いへ進む" in page
    response = client.post(check_url)
    assert response["Location"].startswith("/payments/test-gateway/checkout/")


def test_the_default_is_the_counter_only(city_a):
    enable_module(city_a, "procedures")
    assert _methods(city_a) == ["counter"]


def test_demo_municipalities_take_juminhyo_fees_by_card_and_at_the_counter(city_a):
    from madoguchi.demo.data import DEPARTMENTS

    enable_module(city_a, "procedures")
    for slug, name, name_en in DEPARTMENTS:
        make_department(city_a, slug=slug, name=name, name_en=name_en)
    with municipality_scope(city_a):
        seed_procedures(city_a)
        seed_procedures(city_a)  # idempotent
        assert PaymentAccount.objects.filter(municipality=city_a).count() == 1
        account = PaymentAccount.objects.get(municipality=city_a)
    assert account.api_key.startswith("tg_sk_") and "tg_sk_" not in account.api_key_encrypted  # encrypted at rest
    assert _methods(city_a) == ["card", "counter"]
    client, _resident = resident_client()
    check_url = walk_to_check(client, pages=None)
    assert "600円" in client.get(check_url).content.decode()  # 300円/通 × 2
    client.get(pay_on_gateway(client, choose_card(client, check_url)))
    with scopes_disabled():
        payment = Payment.objects.get(object_id=draft_id_of(check_url))
    assert payment.status == PaymentStatus.PAID and payment.lines[0]["unit"] == 300


def test_check_deploy_warns_when_the_test_gateway_is_on_in_production(settings):
    settings.IS_PRODUCTION = True
    settings.PAYMENTS_TEST_GATEWAY_ENABLED = True
    ids = [message.id for message in run_checks(include_deployment_checks=True)]
    assert "madoguchi.payments.W001" in ids
    settings.PAYMENTS_TEST_GATEWAY_ENABLED = False
    assert "madoguchi.payments.W001" not in [m.id for m in run_checks(include_deployment_checks=True)]


def test_the_gateway_api_needs_the_merchants_key(juminhyo_a, account_a):
    with pytest.raises(ProviderError):
        testgateway.retrieve_charge(merchant_id=account_a.merchant_id, api_key="wrong", reference="tg_ch_x")
    with pytest.raises(ProviderError):
        testgateway.list_charges(
            merchant_id=account_a.merchant_id,
            api_key="",
            start=datetime.datetime.now(datetime.UTC),
            end=datetime.datetime.now(datetime.UTC),
        )


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("", "カード番号を入力してください"),
        ("4242", "16桁の数字"),
        ("4242 4242 4242 4241", "カード番号が正しくありません"),
        ("5555 5555 5555 4444", "テスト用のカード番号だけ"),
        ("<script>alert(1)</script>", "16桁の数字"),
        ("4" * 41, "16桁の数字"),
        ("４２４２４２４２４２４２４２４２", None),  # full-width digits are accepted
    ],
)
def test_card_input_is_checked_with_specific_messages(juminhyo_a, card, message):
    client, _resident = resident_client()
    checkout = choose_card(client, walk_to_check(client))
    response = client.post(checkout, {"card_number": card, "expiry": "12/40", "cvc": "123"})
    if message is None:
        assert response.status_code == 302
        return
    body = response.content.decode()
    assert response.status_code == 400 and message in body
    assert "<script>alert(1)</script>" not in body


@pytest.mark.parametrize(
    ("expiry", "cvc", "message"),
    [
        ("01/20", "123", "有効期限が過ぎています"),
        ("13/40", "123", "1から12"),
        ("1240", "123", "月/年"),
        ("12/40", "12", "3桁または4桁"),
    ],
)
def test_expiry_and_security_code_are_checked(juminhyo_a, expiry, cvc, message):
    client, _resident = resident_client()
    checkout = choose_card(client, walk_to_check(client))
    response = client.post(checkout, {"card_number": "4242424242424242", "expiry": expiry, "cvc": cvc})
    assert response.status_code == 400 and message in response.content.decode()
    assert f'value="{expiry}"' in response.content.decode()  # what was typed is kept


def test_cashless_share_counts_online_among_paid_fees_per_fiscal_year(juminhyo_a, city_a):
    with municipality_scope(city_a):
        assert kpis.cashless_share(city_a, fiscal_year=2026).value is None
    card, counter, _pending = (resident_client(f"kpi{i}@example.jp")[0] for i in range(3))
    check_card = walk_to_check(card)
    card.get(pay_on_gateway(card, choose_card(card, check_card)))
    counter_check = walk_to_check(counter)
    counter.post(counter_check, {"method": "counter"})
    with scopes_disabled():
        counter_payment = Payment.objects.get(object_id=draft_id_of(counter_check))
        from madoguchi.payments import services

        with municipality_scope(city_a):
            services.payment_record_counter(payment=counter_payment, actor=None, request=None)
        third = walk_to_check(_pending)
        _pending.post(third, {"method": "counter"})  # pending: not paid, not counted
        year = kpis.cashless_share(city_a, fiscal_year=2026)
        Payment.objects.filter(pk=counter_payment.pk).update(
            paid_at=datetime.datetime(2027, 4, 1, 9, tzinfo=datetime.UTC)
        )
        after = kpis.cashless_share(city_a, fiscal_year=2026)
    assert (year.key, year.value, year.unit) == ("procedures.cashless_share", 50.0, "%")
    assert after.value == 100.0


def test_platform_admin_configures_a_merchant_account_with_write_only_secrets(city_a):
    from madoguchi.audit.models import AuditEvent

    from ..factories import make_municipality, make_platform_admin, staff_client

    admin = staff_client(make_platform_admin())
    data = {
        "municipality": city_a.pk,
        "adapter": "test_gateway",
        "merchant_id": "city-a-shop",
        "is_enabled": "on",
        "api_key": "sk_live_typed_by_admin",
        "webhook_secret": "whsec_typed_by_admin",
    }
    assert admin.post("/admin/payments/paymentaccount/add/", data).status_code == 302
    with scopes_disabled():
        account = PaymentAccount.objects.get()
    assert account.api_key == "sk_live_typed_by_admin" and account.webhook_secret == "whsec_typed_by_admin"
    assert "typed_by_admin" not in account.api_key_encrypted + account.webhook_secret_encrypted
    page = admin.get(f"/admin/payments/paymentaccount/{account.pk}/change/").content.decode()
    assert "typed_by_admin" not in page and f"/payments/webhooks/test_gateway/{account.public_id}/" in page
    # Left empty on the next save, the stored secrets stay.
    data.update(api_key="", webhook_secret="", merchant_id="city-a-shop-2")
    assert admin.post(f"/admin/payments/paymentaccount/{account.pk}/change/", data).status_code == 302
    with scopes_disabled():
        account.refresh_from_db()
        actions = list(
            AuditEvent.objects.filter(action__startswith="payment.account")
            .order_by("id")
            .values_list("action", flat=True)
        )
    assert account.merchant_id == "city-a-shop-2" and account.api_key == "sk_live_typed_by_admin"
    assert actions == ["payment.account_created", "payment.account_updated"]
    # Without secrets an account cannot be created: the form says so, nothing is saved.
    city_b = make_municipality(name="乙市", slug="city-b")
    refused = admin.post("/admin/payments/paymentaccount/add/", {**data, "municipality": city_b.pk, "merchant_id": "x"})
    assert (
        refused.status_code == 200
        and "APIキーとWebhookの署名シークレットを入力してください" in refused.content.decode()
    )
    with scopes_disabled():
        assert PaymentAccount.objects.count() == 1


def test_a_provider_on_another_origin_gets_a_link_not_a_redirect_after_post(juminhyo_a, monkeypatch):
    """CSP form-action 'self' would block a redirect after the POST to another origin."""
    from madoguchi.payments.adapters import Checkout
    from madoguchi.payments.adapters.test_gateway import TestGatewayAdapter

    monkeypatch.setattr(
        TestGatewayAdapter,
        "create",
        lambda self, **kwargs: Checkout(reference="psp_123", redirect_url="https://psp.example/pay/psp_123"),
    )
    client, _resident = resident_client()
    response = client.post(walk_to_check(client), {"method": "card"})
    assert response.status_code == 200
    assert 'href="https://psp.example/pay/psp_123"' in response.content.decode()
