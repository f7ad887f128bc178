"""The resident pays the fee online or at the counter; a paid application is never lost, whether the webhook
comes before the return, after it, twice, or at the same time."""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django_scopes import scopes_disabled

from madoguchi.audit.models import AuditEvent
from madoguchi.core.tenancy import municipality_scope
from madoguchi.payments import services, testgateway
from madoguchi.payments.models import Payment, PaymentEvent, PaymentReceiptCounter, PaymentStatus, TestGatewayCharge
from madoguchi.procedures.models import ReceiptCounter, Submission, SubmissionStatus

from .conftest import (
    PAGES,
    choose_card,
    draft_id_of,
    pay_on_gateway,
    resident_client,
    walk_to_check,
)

pytestmark = pytest.mark.django_db


def _submission(draft_id: str) -> Submission:
    with scopes_disabled():
        return Submission.objects.get(public_id=draft_id)


def _payments(draft_id: str) -> list[Payment]:
    with scopes_disabled():
        return list(Payment.objects.filter(object_id=draft_id).order_by("created_at"))


def _paid_events(payment: Payment) -> int:
    with scopes_disabled():
        return PaymentEvent.objects.filter(payment=payment, kind=PaymentEvent.Kind.PAID).count()


def test_check_page_offers_the_allowed_methods_and_requires_a_choice(juminhyo_a):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    page = client.get(check_url).content.decode()
    assert 'name="method"' in page and 'value="card"' in page and 'value="counter"' in page
    assert "600円" in page
    response = client.post(check_url, {})
    body = response.content.decode()
    assert response.status_code == 400
    assert "お支払い方法を選んでください。" in body and 'href="#id_method_0"' in body
    assert _submission(draft_id_of(check_url)).status == SubmissionStatus.DRAFT
    assert client.post(check_url, {"method": "bitcoin"}).status_code == 400
    assert _payments(draft_id_of(check_url)) == []


def test_the_hosted_page_shows_merchant_and_amount_then_return_first_and_webhook_after(
    juminhyo_a, city_a, held_webhooks
):
    client, resident = resident_client()
    check_url = walk_to_check(client)
    draft_id = draft_id_of(check_url)
    checkout = choose_card(client, check_url)
    page = client.get(checkout).content.decode()
    assert "甲市" in page and "600円" in page and "テスト用の決済画面" in page
    assert _submission(draft_id).status == SubmissionStatus.DRAFT  # not submitted before the money
    back = pay_on_gateway(client, checkout)
    response = client.get(back)
    assert response.status_code == 302 and response["Location"].endswith("/done/")
    submission = _submission(draft_id)
    (payment,) = _payments(draft_id)
    assert submission.status == SubmissionStatus.SUBMITTED and submission.receipt_number
    assert payment.status == PaymentStatus.PAID and payment.receipt_number.endswith("-P000001")
    assert payment.amount == 600 and payment.method == "card" and payment.payer == resident
    assert [line["amount"] for line in payment.lines] == [600]
    # The webhook arrives afterwards: recorded, nothing else changes.
    assert held_webhooks.deliver_all("payment.succeeded") == [200]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and _paid_events(payment) == 1
    assert _submission(draft_id).receipt_number == submission.receipt_number
    done = client.get(response["Location"]).content.decode()
    assert submission.receipt_number in done and payment.receipt_number in done
    assert f"/city-a/payments/{payment.public_id}/receipt/" in done


def test_webhook_before_the_return_submits_and_the_return_finds_it_done(juminhyo_a, held_webhooks):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    draft_id = draft_id_of(check_url)
    back = pay_on_gateway(client, choose_card(client, check_url))
    assert held_webhooks.deliver_all("payment.succeeded") == [200]
    submission = _submission(draft_id)
    assert submission.status == SubmissionStatus.SUBMITTED
    response = client.get(back)
    assert response.status_code == 302 and response["Location"].endswith("/done/")
    (payment,) = _payments(draft_id)
    assert payment.status == PaymentStatus.PAID and _paid_events(payment) == 1
    assert _submission(draft_id).receipt_number == submission.receipt_number


def test_a_webhook_delivered_twice_is_recorded_once(juminhyo_a, held_webhooks):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    draft_id = draft_id_of(check_url)
    pay_on_gateway(client, choose_card(client, check_url))
    (event_id,) = held_webhooks.event_ids("payment.succeeded")
    assert [held_webhooks.deliver(event_id), held_webhooks.deliver(event_id)] == [200, 200]
    (payment,) = _payments(draft_id)
    with scopes_disabled():
        assert PaymentEvent.objects.filter(provider_event_id=event_id).count() == 1
        assert ReceiptCounter.objects.get().last_number == 1
        assert PaymentReceiptCounter.objects.get().last_number == 1
    assert _paid_events(payment) == 1


def test_the_confirmation_email_mentions_the_payment(juminhyo_a, django_capture_on_commit_callbacks, held_webhooks):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    back = pay_on_gateway(client, choose_card(client, check_url))
    with django_capture_on_commit_callbacks(execute=True):
        client.get(back)
    (message,) = mail.outbox
    (payment,) = _payments(draft_id_of(check_url))
    assert "600 円" in message.body and payment.receipt_number in message.body and "支払い済み" in message.body


def test_declined_card_keeps_the_draft_and_the_resident_tries_again(juminhyo_a, held_webhooks):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    draft_id = draft_id_of(check_url)
    checkout = choose_card(client, check_url)
    declined = client.post(checkout, {"card_number": "4000 0000 0000 0002", "expiry": "12/40", "cvc": "123"})
    assert declined.status_code == 400
    assert "カードが承認されませんでした" in declined.content.decode()
    assert held_webhooks.deliver_all("payment.failed") == [200]  # recorded; the checkout is still open
    (payment,) = _payments(draft_id)
    assert payment.status == PaymentStatus.PENDING
    english = client.post(f"{checkout}?lang=en", {"card_number": "4000000000000002", "expiry": "12/40", "cvc": "123"})
    assert "The card was not accepted" in english.content.decode()
    # The resident gives up on the hosted page: back on the check page, the draft intact, a clear message.
    cancelled = client.post(f"{checkout}cancel/")
    assert cancelled.status_code == 302
    parts = urlsplit(cancelled["Location"])
    response = client.get(f"{parts.path}?{parts.query}&lang=ja", follow=True)
    assert response.redirect_chain[-1][0].endswith("/check/")
    assert "お支払いを中止しました" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert _submission(draft_id).status == SubmissionStatus.DRAFT
    # Trying again makes a new payment, which succeeds.
    client.get(pay_on_gateway(client, choose_card(client, check_url)))
    first, second = _payments(draft_id)
    assert (first.status, second.status) == (PaymentStatus.CANCELLED, PaymentStatus.PAID)
    assert _submission(draft_id).status == SubmissionStatus.SUBMITTED


def test_the_same_choice_twice_opens_the_same_checkout(juminhyo_a):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    assert choose_card(client, check_url) == choose_card(client, check_url)
    assert len(_payments(draft_id_of(check_url))) == 1


def test_changed_answers_cancel_the_stale_payment_and_the_fee_is_recomputed(juminhyo_a):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    draft_id = draft_id_of(check_url)
    checkout = choose_card(client, check_url)
    certificate = check_url.replace("/check/", "/certificate/")
    response = client.post(certificate, {**PAGES["certificate"], "copies": "3", "return_to": "check"})
    assert response.status_code == 302
    (stale,) = _payments(draft_id)
    assert stale.status == PaymentStatus.CANCELLED
    assert TestGatewayCharge.objects.get(reference=stale.provider_reference).status == "canceled"
    # The old hosted page can no longer take money.
    old = client.post(checkout, {"card_number": "4242424242424242", "expiry": "12/40", "cvc": "123"})
    assert old.status_code in (200, 400) and "この決済はすでに終了しています" in old.content.decode()
    assert "900円" in client.get(check_url).content.decode()
    client.get(pay_on_gateway(client, choose_card(client, check_url)))
    _stale, fresh = _payments(draft_id)
    assert fresh.amount == 900 and fresh.status == PaymentStatus.PAID
    assert _submission(draft_id).fee_total == 900


def test_counter_payment_submits_at_once_with_the_payment_pending(juminhyo_a):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    response = client.post(check_url, {"method": "counter"})
    assert response.status_code == 302 and response["Location"].endswith("/done/")
    draft_id = draft_id_of(check_url)
    (payment,) = _payments(draft_id)
    assert payment.method == "counter" and payment.status == PaymentStatus.PENDING and not payment.receipt_number
    assert _submission(draft_id).status == SubmissionStatus.SUBMITTED
    done = client.get(response["Location"]).content.decode()
    assert "窓口払い" in done and "支払い待ち" in done


def test_a_procedure_without_fee_submits_as_before(juminhyo_a):
    client, _resident = resident_client()
    with municipality_scope(juminhyo_a.municipality):
        from madoguchi.procedures.models import Fee

        Fee.objects.filter(municipality=juminhyo_a.municipality).update(amount=0)
    check_url = walk_to_check(client)
    page = client.get(check_url).content.decode()
    assert 'name="method"' not in page and "手数料はかかりません" in page
    response = client.post(check_url)
    assert response["Location"].endswith("/done/")
    assert _payments(draft_id_of(check_url)) == []


def test_tampered_return_parameters_change_nothing(juminhyo_a, held_webhooks):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    draft_id = draft_id_of(check_url)
    checkout = choose_card(client, check_url)
    (payment,) = _payments(draft_id)
    # A forged "succeeded" return for a checkout nobody paid.
    forged = f"/city-a/payments/{payment.public_id}/return/?ref={payment.provider_reference}&status=succeeded&payment={payment.public_id}&t=1&sig=00"
    response = client.get(forged, follow=True)
    assert response.redirect_chain[-1][0].endswith("/check/")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and _submission(draft_id).status == SubmissionStatus.DRAFT
    # A genuine signature with one parameter changed.
    back = pay_on_gateway(client, checkout)
    params = dict(parse_qsl(urlsplit(back).query))
    tampered = {**params, "ref": "tg_ch_someoneelse"}
    path = urlsplit(back).path
    client.get(path, tampered)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # not believed: the webhook will settle it
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="payment.return_rejected").count() == 2
    assert held_webhooks.deliver_all("payment.succeeded") == [200]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_another_municipalitys_payment_is_404(juminhyo_a, juminhyo_b):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    choose_card(client, check_url)
    (payment,) = _payments(draft_id_of(check_url))
    assert client.get(f"/city-b/payments/{payment.public_id}/return/").status_code == 404
    assert client.get(f"/city-b/payments/{payment.public_id}/receipt/").status_code == 404
    assert client.get("/city-a/payments/not-a-uuid/return/").status_code == 404


def test_the_receipt_is_the_payers_own(juminhyo_a):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    client.get(pay_on_gateway(client, choose_card(client, check_url)))
    (payment,) = _payments(draft_id_of(check_url))
    receipt = client.get(f"/city-a/payments/{payment.public_id}/receipt/")
    body = receipt.content.decode()
    assert receipt.status_code == 200 and "領収書" in body and payment.receipt_number in body and "600円" in body
    english = client.get(f"/city-a/payments/{payment.public_id}/receipt/?lang=en").content.decode()
    assert "Receipt" in english and "Certificate of residence: 300 yen × 2 = 600 yen" in english
    other, _ = resident_client("other@example.jp")
    assert other.get(f"/city-a/payments/{payment.public_id}/receipt/").status_code == 404
    assert Client().get(f"/city-a/payments/{payment.public_id}/receipt/").status_code == 302
    mine = client.get(f"/city-a/procedures/mine/{draft_id_of(check_url)}/").content.decode()
    assert f"/city-a/payments/{payment.public_id}/receipt/" in mine


def test_the_test_gateway_is_off_when_the_setting_says_so(juminhyo_a, settings):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    checkout = choose_card(client, check_url)
    settings.PAYMENTS_TEST_GATEWAY_ENABLED = False
    assert client.get(checkout).status_code == 404
    page = client.get(check_url).content.decode()
    assert 'value="card"' not in page and "窓口でお支払いください" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("deliveries", ["two_webhooks", "webhook_and_return"])
def test_two_deliveries_at_once_pay_and_submit_exactly_once(juminhyo_a, held_webhooks, deliveries):
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    draft_id = draft_id_of(check_url)
    back = pay_on_gateway(client, choose_card(client, check_url))
    assert held_webhooks.enqueued  # held, not delivered
    (event_id,) = held_webhooks.event_ids("payment.succeeded")
    (payment,) = _payments(draft_id)
    params = dict(parse_qsl(urlsplit(back).query))
    statuses: list[object] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def webhook() -> None:
        try:
            account, headers, body = testgateway.signed_delivery(event_id)
            barrier.wait(timeout=10)
            status = services.webhook_receive(
                adapter_key="test_gateway", account_id=str(account.public_id), headers=headers, body=body
            )
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    def returned() -> None:
        try:
            barrier.wait(timeout=10)
            with municipality_scope(juminhyo_a.municipality):
                outcome = services.payment_confirm_return(payment=payment, params=params, request=None)
            with lock:
                statuses.append(outcome)
        finally:
            connection.close()

    second = webhook if deliveries == "two_webhooks" else returned
    threads = [threading.Thread(target=webhook), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    expected = [200, 200] if deliveries == "two_webhooks" else [200, "paid"]
    assert sorted(statuses, key=str) == sorted(expected, key=str)
    payment.refresh_from_db()
    submission = _submission(draft_id)
    assert payment.status == PaymentStatus.PAID and submission.status == SubmissionStatus.SUBMITTED
    assert _paid_events(payment) == 1
    with scopes_disabled():
        assert ReceiptCounter.objects.get().last_number == 1
        assert PaymentReceiptCounter.objects.get().last_number == 1
        assert PaymentEvent.objects.filter(provider_event_id=event_id).count() == 1
        assert AuditEvent.objects.filter(action="submission.submitted").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["card", "counter"])
def test_parallel_choices_make_one_payment(juminhyo_a, held_webhooks, method):
    """Five tabs (or a double click) choosing at the same moment: one payment, the same next page for all."""
    client, _resident = resident_client()
    check_url = walk_to_check(client)
    barrier = threading.Barrier(5)
    locations: list[str] = []
    lock = threading.Lock()

    def choose() -> None:
        other = Client()
        other.cookies = client.cookies
        try:
            barrier.wait(timeout=10)
            location = other.post(check_url, {"method": method})["Location"]
            with lock:
                locations.append(location)
        finally:
            connection.close()

    threads = [threading.Thread(target=choose) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(locations) == 5 and len(set(locations)) == 1
    (payment,) = _payments(draft_id_of(check_url))
    assert payment.method == method and payment.status == PaymentStatus.PENDING
    with scopes_disabled():
        assert TestGatewayCharge.objects.count() == (1 if method == "card" else 0)
